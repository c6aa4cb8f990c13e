import { CompiledQuery } from 'kysely';
import type { Db, Dialect, Tx } from '../store/index';

export type BulkValue = string | number | null;

/**
 * Buffers rows per table and writes each batch as ONE bound parameter: a JSON array of rows,
 * unpacked by the database (`jsonb_each` on SQLite — the binary form is walked without
 * re-parsing each row per column — and `json_populate_recordset` on PostgreSQL).
 * The statement text stays short and the same for every batch; a multi-row VALUES list of a
 * thousand rows costs more to parse than to execute. Tables flush in the order given, so
 * rows that others reference (customers before accounts) are always written first.
 */
export class BulkWriter {
  private readonly buffers = new Map<string, BulkValue[][]>();
  private readonly statements = new Map<string, string>();
  private buffered = 0;
  private written = 0;

  constructor(
    private readonly dialect: Dialect,
    private readonly tables: ReadonlyArray<readonly [table: string, columns: readonly string[]]>,
    private readonly flushAt = 20_000,
    private readonly perStatement = 2_000,
  ) {
    for (const [table] of tables) this.buffers.set(table, []);
  }

  get rowsWritten(): number {
    return this.written;
  }

  add(table: string, row: BulkValue[]): void {
    const buffer = this.buffers.get(table);
    if (!buffer) throw new Error(`bulk writer has no table ${table}`);
    buffer.push(row);
    this.buffered++;
  }

  get full(): boolean {
    return this.buffered >= this.flushAt;
  }

  async flush(db: Db | Tx): Promise<void> {
    for (const [table, columns] of this.tables) {
      const rows = this.buffers.get(table)!;
      if (rows.length === 0) continue;
      const text = this.statement(table, columns);
      for (let i = 0; i < rows.length; i += this.perStatement) {
        const slice = rows.slice(i, i + this.perStatement);
        const payload =
          this.dialect === 'postgres'
            ? JSON.stringify(slice.map((row) => Object.fromEntries(columns.map((c, k) => [c, row[k]]))))
            : JSON.stringify(slice);
        await db.executeQuery(CompiledQuery.raw(text, [payload]));
      }
      this.written += rows.length;
      this.buffers.set(table, []);
    }
    this.buffered = 0;
  }

  private statement(table: string, columns: readonly string[]): string {
    let text = this.statements.get(table);
    if (!text) {
      const names = columns.map((c) => `"${c}"`).join(',');
      text =
        this.dialect === 'postgres'
          ? `insert into "${table}" (${names}) select ${names} from json_populate_recordset(null::"${table}", $1::json)`
          : `insert into "${table}" (${names}) select ${columns.map((_, k) => `value ->> ${k}`).join(',')} from jsonb_each(jsonb(?))`;
      this.statements.set(table, text);
    }
    return text;
  }
}
