import { type Kysely, sql } from 'kysely';
import type { Migration } from '../migrate';

/**
 * The event log's `id` loses its unique index. Ids are random UUIDs, so each append wrote a
 * page at a random place of a B-tree as large as the log: 25–38 µs of CPU per row at 200,000
 * events on SQLite, against 5 µs without it, and more pages for every commit to sync. Nothing
 * looks an event up by id (readers go by `seq`, and by `type` through `events_type_seq`), and a
 * fresh v4 UUID per event is unique without the database checking it
 * (docs/adr/018-event-log-without-id-index.md).
 *
 * SQLite cannot drop a column's UNIQUE, so the table is rebuilt; the rows keep their `seq`, and
 * AUTOINCREMENT's high-water mark moves with the renamed table, so no number is handed out twice.
 */
export const eventsIdUnindexed: Migration = {
  async up(db: Kysely<unknown>, dialect) {
    if (dialect === 'postgres') {
      await sql`alter table events drop constraint if exists events_id_key`.execute(db);
      return;
    }
    await sql`create table events_rebuilt (
      seq integer primary key autoincrement,
      id text not null,
      type text not null,
      at bigint not null,
      audience text not null,
      subject_user_id text,
      actor text,
      payload text not null
    )`.execute(db);
    await sql`insert into events_rebuilt (seq, id, type, at, audience, subject_user_id, actor, payload)
      select seq, id, type, at, audience, subject_user_id, actor, payload from events`.execute(db);
    // The numbers handed out so far, with the last ones of them perhaps no longer in the table.
    await sql`delete from sqlite_sequence where name = 'events_rebuilt'`.execute(db);
    await sql`insert into sqlite_sequence (name, seq)
      select 'events_rebuilt', seq from sqlite_sequence where name = 'events'`.execute(db);
    await sql`drop table events`.execute(db);
    await sql`alter table events_rebuilt rename to events`.execute(db);
    await db.schema.createIndex('events_type_seq').on('events').columns(['type', 'seq']).execute();
  },
};
