import { readFile } from 'node:fs/promises';
import { AcdError } from '../errors';
import { formatAcdSimulation, runAcdSimulation } from './simulator';

export interface SimulateAcdCommandOptions {
  scenarioPath: string;
  seed: number;
  format: 'table' | 'json';
  /** Reads the scenario file; the CLI passes nothing and gets the file system. */
  readText?: (path: string) => Promise<string>;
}

/**
 * What `teller sim acd --scenario FILE --seed N [--json]` prints. A file that cannot be read or
 * is not JSON, or a scenario that does not validate, fails with ACD_INVALID_SCENARIO naming
 * the file and the fields at fault.
 */
export async function simulateAcdCommand(options: SimulateAcdCommandOptions): Promise<string> {
  const read = options.readText ?? ((path: string) => readFile(path, 'utf8'));
  let text: string;
  try {
    text = await read(options.scenarioPath);
  } catch (error) {
    throw new AcdError('ACD_INVALID_SCENARIO', `cannot read scenario ${options.scenarioPath}`, {
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AcdError(
      'ACD_INVALID_SCENARIO',
      `scenario ${options.scenarioPath} is not JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  try {
    return formatAcdSimulation(runAcdSimulation(value, options.seed), options.format);
  } catch (error) {
    if (error instanceof AcdError && error.code === 'ACD_INVALID_SCENARIO') {
      throw new AcdError('ACD_INVALID_SCENARIO', `${options.scenarioPath}: ${error.message}`, {
        fields: [...error.fields],
        cause: error,
      });
    }
    throw error;
  }
}
