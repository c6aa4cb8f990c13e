import { CompiledQuery } from 'kysely';
import type { Db, Dialect, Tx } from '../store/index';

type BulkValue = string | number | null;
export type BulkTables = ReadonlyArray<readonly [table: string, columns: readonly string[]]>;

/** Rows of one table, serialized: each string is the one parameter of one INSERT. */
export interface Payload {
  table: string;
  chunks: string[];
  rows: number;
}

/**
 * Buffers generated rows per table and serializes them for `writePayloads`. Serializing is
 * kept apart from writing so the generator can run on another thread than the writer.
 */
export class RowBuffer {
  private readonly buffers = new Map<string, BulkValue[][]>();

  constructor(
    private readonly dialect: Dialect,
    private readonly tables: BulkTables,
    private readonly perStatement = 2_000,
  ) {
    for (const [table] of tables) this.buffers.set(table, []);
  }

  add(table: string, row: BulkValue[]): void {
    const buffer = this.buffers.get(table);
    if (!buffer) throw new Error(`bulk buffer has no table ${table}`);
    buffer.push(row);
  }

  /** Everything buffered, as payloads in the tables' order; the buffer is empty afterwards. */
  drain(): Payload[] {
    const out: Payload[] = [];
    for (const [table, columns] of this.tables) {
      const rows = this.buffers.get(table)!;
      if (rows.length === 0) continue;
      const chunks: string[] = [];
      for (let i = 0; i < rows.length; i += this.perStatement) {
        const slice = rows.slice(i, i + this.perStatement);
        chunks.push(
          this.dialect === 'postgres'
            ? JSON.stringify(slice.map((row) => Object.fromEntries(columns.map((c, k) => [c, row[k]]))))
            : JSON.stringify(slice),
        );
      }
      out.push({ table, chunks, rows: rows.length });
      this.buffers.set(table, []);
    }
    return out;
  }
}

const statements = new Map<string, string>();

/**
 * One INSERT per chunk, with the rows as ONE bound JSON parameter unpacked by the database
 * (`jsonb_each` on SQLite — its binary form is walked without re-parsing each row per column —
 * and `json_populate_recordset` on PostgreSQL). The statement text stays short and the same
 * for every chunk: a multi-row VALUES list of a thousand rows costs more to parse than to run.
 */
export async function writePayloads(
  db: Db | Tx,
  dialect: Dialect,
  tables: BulkTables,
  payloads: readonly Payload[],
): Promise<number> {
  let rows = 0;
  for (const payload of payloads) {
    const columns = tables.find(([t]) => t === payload.table)?.[1];
    if (!columns) throw new Error(`no columns for ${payload.table}`);
    const key = `${dialect}:${payload.table}`;
    let text = statements.get(key);
    if (!text) {
      const names = columns.map((c) => `"${c}"`).join(',');
      text =
        dialect === 'postgres'
          ? `insert into "${payload.table}" (${names}) select ${names} from json_populate_recordset(null::"${payload.table}", $1::json)`
          : `insert into "${payload.table}" (${names}) select ${columns.map((_, k) => `value ->> ${k}`).join(',')} from jsonb_each(jsonb(?))`;
      statements.set(key, text);
    }
    for (const chunk of payload.chunks) await db.executeQuery(CompiledQuery.raw(text, [chunk]));
    rows += payload.rows;
  }
  return rows;
}
