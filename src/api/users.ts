import { createHash, randomBytes } from 'node:crypto';
import { asId, type Clock, newId, TellerError, type UserId } from '../core/index';
import type { AuditTrail, Db } from '../store/index';
import type { ApiEvents } from './events';
import { decoyHash, hashPassword, verifyPassword } from './passwords';
import type { Role } from './roles';

export interface User {
  id: UserId;
  username: string;
  displayName: string;
  role: Role;
  extension: string | null;
  disabled: boolean;
  lockedUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewUser {
  username: string;
  displayName: string;
  role: Role;
  password: string;
  extension?: string | null;
}

export interface UserPatch {
  displayName?: string;
  role?: Role;
  password?: string;
  extension?: string | null;
  disabled?: boolean;
  /** `false` lifts a lock left by failed logins. */
  locked?: false;
}

export interface Session {
  id: string;
  user: User;
  expiresAt: number;
}

export interface UsersOptions {
  db: Db;
  audit: AuditTrail;
  clock: Clock;
  publish: <K extends keyof ApiEvents>(
    type: K,
    payload: ApiEvents[K],
    meta: { audience: 'all' | 'supervisor' | 'admin'; subjectUserId?: string; actor?: string },
  ) => Promise<unknown>;
  sessionTtlMs: number;
  maxFailures: number;
  lockMs: number;
  /** The SIP digest realm the users' SIP credentials are derived for. */
  sipRealm: string;
}

const ha1Algorithms = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' } as const;

/**
 * The SIP digest credentials of a user with an extension: HA1 = H(username:realm:password) for
 * each algorithm of RFC 8760, under both the extension (what phones register as) and the login
 * name. Stored instead of the password, as registrars do; they are only good for this realm.
 */
export function sipCredentials(
  username: string,
  extension: string | null,
  realm: string,
  password: string,
): string | null {
  if (!extension) return null;
  const entries: Record<string, Record<string, string>> = {};
  for (const name of new Set([extension, username])) {
    entries[name] = Object.fromEntries(
      Object.entries(ha1Algorithms).map(([algorithm, hash]) => [
        algorithm,
        createHash(hash).update(`${name}:${realm}:${password}`, 'utf8').digest('hex'),
      ]),
    );
  }
  return JSON.stringify(entries);
}

type UserRow = {
  id: string;
  username: string;
  display_name: string;
  role: string;
  extension: string | null;
  disabled: number;
  locked_until: number | null;
  created_at: number;
  updated_at: number;
};

const userColumns = [
  'id',
  'username',
  'display_name',
  'role',
  'extension',
  'disabled',
  'locked_until',
  'created_at',
  'updated_at',
] as const;

function toUser(row: UserRow): User {
  return {
    id: asId<UserId>(row.id),
    username: row.username,
    displayName: row.display_name,
    role: row.role as Role,
    extension: row.extension,
    disabled: row.disabled === 1,
    lockedUntil: row.locked_until === null ? null : Number(row.locked_until),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function isUniqueViolation(error: unknown): boolean {
  const text =
    String((error as { code?: string; message?: string })?.code ?? '') + String((error as Error)?.message);
  return /UNIQUE|23505|unique/i.test(text);
}

/** Users, their passwords and sessions. Every change is evented and the security-relevant ones audited. */
export class Users {
  // Sessions are looked up on every request; a short cache spares the store, and revocation
  // in this process clears it at once.
  private readonly sessionCache = new Map<string, { session: Session; until: number }>();

  constructor(private readonly o: UsersOptions) {}

  async create(input: NewUser, actor: string): Promise<User> {
    const now = this.o.clock.now();
    const row = {
      id: newId<UserId>(),
      username: input.username,
      display_name: input.displayName,
      role: input.role,
      password_hash: await hashPassword(input.password),
      extension: input.extension ?? null,
      sip_ha1: sipCredentials(input.username, input.extension ?? null, this.o.sipRealm, input.password),
      disabled: 0,
      failed_logins: 0,
      locked_until: null,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.o.db.insertInto('users').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new TellerError(
          'API_USER_EXISTS',
          'conflict',
          'a user with this username or extension already exists',
          {
            fields: [{ field: 'body.username', message: 'username or extension already taken' }],
          },
        );
      }
      throw error;
    }
    const user = toUser(row);
    await this.o.audit.record({
      actor,
      action: 'user.create',
      target: user.id,
      outcome: 'success',
      details: { username: user.username, role: user.role },
    });
    await this.o.publish('user.created', { user }, { audience: 'supervisor', subjectUserId: user.id, actor });
    return user;
  }

  async list(): Promise<User[]> {
    const rows = await this.o.db.selectFrom('users').select(userColumns).orderBy('username').execute();
    return rows.map(toUser);
  }

  async get(id: string): Promise<User> {
    const row = await this.o.db
      .selectFrom('users')
      .select(userColumns)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new TellerError('API_USER_NOT_FOUND', 'not-found', `no user ${id}`);
    return toUser(row);
  }

  /** The HA1 of a digest username (an extension or a login name) for one algorithm, for the SIP registrar. */
  async sipHa1(digestUsername: string, algorithm: string): Promise<{ user: User; ha1: string } | undefined> {
    const row = await this.o.db
      .selectFrom('users')
      .select([...userColumns, 'sip_ha1'])
      .where((eb) => eb.or([eb('extension', '=', digestUsername), eb('username', '=', digestUsername)]))
      .where('disabled', '=', 0)
      .executeTakeFirst();
    if (!row?.sip_ha1) return undefined;
    const ha1 = (JSON.parse(row.sip_ha1) as Record<string, Record<string, string>>)[digestUsername]?.[
      algorithm
    ];
    return ha1 ? { user: toUser(row), ha1 } : undefined;
  }

  /** The user who owns an extension. */
  async findByExtension(extension: string): Promise<User | undefined> {
    const row = await this.o.db
      .selectFrom('users')
      .select(userColumns)
      .where('extension', '=', extension)
      .executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async findByUsername(username: string): Promise<User | undefined> {
    const row = await this.o.db
      .selectFrom('users')
      .select(userColumns)
      .where('username', '=', username)
      .executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async update(id: string, patch: UserPatch, actor: string): Promise<User> {
    const existing = await this.get(id);
    const changes: Record<string, unknown> = { updated_at: this.o.clock.now() };
    if (patch.displayName !== undefined) changes.display_name = patch.displayName;
    if (patch.role !== undefined) changes.role = patch.role;
    if (patch.extension !== undefined) changes.extension = patch.extension;
    if (patch.disabled !== undefined) changes.disabled = patch.disabled ? 1 : 0;
    const extensionChanges = patch.extension !== undefined && patch.extension !== existing.extension;
    if (extensionChanges && patch.extension !== null && patch.password === undefined) {
      throw new TellerError(
        'API_PASSWORD_NEEDED',
        'invalid',
        'a new extension needs the password as well: the SIP credentials are derived from it',
        {
          fields: [{ field: 'body.password', message: 'required when the extension changes' }],
        },
      );
    }
    if (patch.password !== undefined) {
      changes.password_hash = await hashPassword(patch.password);
      const extension = patch.extension !== undefined ? patch.extension : existing.extension;
      changes.sip_ha1 = sipCredentials(existing.username, extension, this.o.sipRealm, patch.password);
    } else if (extensionChanges) changes.sip_ha1 = null;
    if (patch.locked === false) {
      changes.locked_until = null;
      changes.failed_logins = 0;
    }
    try {
      await this.o.db.updateTable('users').set(changes).where('id', '=', id).execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new TellerError('API_USER_EXISTS', 'conflict', 'another user has this extension', {
          fields: [{ field: 'body.extension', message: 'extension already taken' }],
        });
      }
      throw error;
    }
    if (patch.disabled || patch.password !== undefined || (patch.role && patch.role !== existing.role)) {
      await this.revokeAll(id, actor);
    }
    const user = await this.get(id);
    const changed = Object.keys(patch).filter((k) => k !== 'password');
    if (patch.password !== undefined) changed.push('password');
    await this.o.audit.record({
      actor,
      action: 'user.update',
      target: id,
      outcome: 'success',
      details: { changed },
    });
    await this.o.publish(
      'user.updated',
      { user, changed },
      { audience: 'supervisor', subjectUserId: id, actor },
    );
    return user;
  }

  async remove(id: string, actor: string): Promise<void> {
    const user = await this.get(id);
    await this.o.db.deleteFrom('users').where('id', '=', id).execute();
    this.forgetSessionsOf(id);
    await this.o.audit.record({
      actor,
      action: 'user.delete',
      target: id,
      outcome: 'success',
      details: { username: user.username },
    });
    await this.o.publish(
      'user.deleted',
      { userId: user.id, username: user.username },
      { audience: 'supervisor', actor },
    );
  }

  /**
   * Checks a username and password and opens a session. Failures count toward a lock that
   * persists in the store; the error never says whether the username exists.
   */
  async login(
    username: string,
    password: string,
    ip: string,
    userAgent: string | null,
  ): Promise<{ token: string; session: Session }> {
    const now = this.o.clock.now();
    const row = await this.o.db
      .selectFrom('users')
      .select([...userColumns, 'password_hash', 'failed_logins'])
      .where('username', '=', username)
      .executeTakeFirst();
    const badCredentials = new TellerError(
      'API_BAD_CREDENTIALS',
      'unauthenticated',
      'wrong username or password',
    );
    if (!row) {
      await verifyPassword(password, await decoyHash());
      await this.o.audit.record({
        actor: null,
        action: 'auth.login',
        outcome: 'failure',
        ip,
        details: { username, reason: 'unknown-user' },
      });
      throw badCredentials;
    }
    if (row.locked_until !== null && Number(row.locked_until) > now) {
      await this.o.audit.record({
        actor: row.id,
        action: 'auth.login',
        outcome: 'denied',
        ip,
        details: { reason: 'locked' },
      });
      throw new TellerError(
        'API_ACCOUNT_LOCKED',
        'forbidden',
        'this account is locked after repeated failed logins; an administrator can unlock it',
      );
    }
    if (row.disabled === 1) {
      await this.o.audit.record({
        actor: row.id,
        action: 'auth.login',
        outcome: 'denied',
        ip,
        details: { reason: 'disabled' },
      });
      throw new TellerError('API_ACCOUNT_DISABLED', 'forbidden', 'this account is disabled');
    }
    if (!(await verifyPassword(password, row.password_hash))) {
      const failures = Number(row.failed_logins) + 1;
      const locks = failures >= this.o.maxFailures;
      await this.o.db
        .updateTable('users')
        .set({ failed_logins: locks ? 0 : failures, locked_until: locks ? now + this.o.lockMs : null })
        .where('id', '=', row.id)
        .execute();
      await this.o.audit.record({
        actor: row.id,
        action: 'auth.login',
        outcome: 'failure',
        ip,
        details: { reason: 'bad-password', failures },
      });
      if (locks) {
        await this.o.audit.record({
          actor: 'system',
          action: 'auth.lock',
          target: row.id,
          outcome: 'success',
          ip,
          details: { until: now + this.o.lockMs },
        });
        await this.o.publish(
          'user.locked',
          { userId: asId<UserId>(row.id), until: now + this.o.lockMs },
          { audience: 'supervisor', subjectUserId: row.id },
        );
      }
      throw badCredentials;
    }
    await this.o.db
      .updateTable('users')
      .set({ failed_logins: 0, locked_until: null })
      .where('id', '=', row.id)
      .execute();
    const token = randomBytes(32).toString('base64url');
    const session: Session = {
      id: tokenId(token),
      user: toUser({ ...row, locked_until: null }),
      expiresAt: now + this.o.sessionTtlMs,
    };
    await this.o.db
      .insertInto('sessions')
      .values({
        id: session.id,
        user_id: row.id,
        created_at: now,
        expires_at: session.expiresAt,
        revoked_at: null,
        ip,
        user_agent: userAgent?.slice(0, 200) ?? null,
      })
      .execute();
    await this.o.audit.record({ actor: row.id, action: 'auth.login', outcome: 'success', ip });
    await this.o.publish(
      'user.logged-in',
      { userId: session.user.id, username: session.user.username },
      { audience: 'supervisor', subjectUserId: row.id, actor: row.id },
    );
    return { token, session };
  }

  /** The live session behind a token, or undefined when it is unknown, expired or revoked. */
  async sessionFor(token: string): Promise<Session | undefined> {
    const id = tokenId(token);
    const now = this.o.clock.now();
    const cached = this.sessionCache.get(id);
    if (cached && cached.until > now) return cached.session.expiresAt > now ? cached.session : undefined;
    const row = await this.o.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select([
        'sessions.id as session_id',
        'sessions.expires_at',
        'sessions.revoked_at',
        ...userColumns.map((c) => `users.${c}` as const),
      ])
      .where('sessions.id', '=', id)
      .executeTakeFirst();
    if (!row || row.revoked_at !== null || Number(row.expires_at) <= now || row.disabled === 1) {
      this.sessionCache.delete(id);
      return undefined;
    }
    const session: Session = { id, user: toUser(row), expiresAt: Number(row.expires_at) };
    if (this.sessionCache.size > 50_000) this.sessionCache.clear();
    this.sessionCache.set(id, { session, until: now + 5_000 });
    return session;
  }

  async logout(session: Session, ip: string): Promise<void> {
    await this.o.db
      .updateTable('sessions')
      .set({ revoked_at: this.o.clock.now() })
      .where('id', '=', session.id)
      .execute();
    this.sessionCache.delete(session.id);
    await this.o.audit.record({ actor: session.user.id, action: 'auth.logout', outcome: 'success', ip });
    await this.o.publish(
      'user.logged-out',
      { userId: session.user.id, username: session.user.username },
      { audience: 'supervisor', subjectUserId: session.user.id, actor: session.user.id },
    );
  }

  /** Revokes every session of a user (after a password or role change, or on an admin's request). */
  async revokeAll(userId: string, actor: string): Promise<number> {
    const result = await this.o.db
      .updateTable('sessions')
      .set({ revoked_at: this.o.clock.now() })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    this.forgetSessionsOf(userId);
    const count = Number(result.numUpdatedRows);
    await this.o.audit.record({
      actor,
      action: 'auth.revoke-sessions',
      target: userId,
      outcome: 'success',
      details: { count },
    });
    return count;
  }

  private forgetSessionsOf(userId: string): void {
    for (const [id, entry] of this.sessionCache) {
      if (entry.session.user.id === userId) this.sessionCache.delete(id);
    }
  }
}
