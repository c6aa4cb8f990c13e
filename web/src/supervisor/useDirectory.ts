/**
 * Names for agent ids. Admins read /api/v1/users. Supervisors may not list users, but they see
 * the `user.created` / `user.updated` / `user.deleted` events: replaying those from the start of
 * the event log (the server filters by type) gives every user's name and extension.
 */
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import { useEventStream } from '../api/events';
import type { Role, TellerEvent, User } from '../api/types';

export interface DirectoryEntry {
  username: string;
  displayName: string;
  extension: string | null;
  role: Role;
}

export function useDirectory(role: Role): Map<string, DirectoryEntry> {
  const [entries, setEntries] = useState(() => new Map<string, DirectoryEntry>());

  const put = useCallback((users: User[]) => {
    setEntries((current) => {
      const next = new Map(current);
      for (const u of users) {
        next.set(u.id, {
          username: u.username,
          displayName: u.displayName,
          extension: u.extension,
          role: u.role,
        });
      }
      return next;
    });
  }, []);

  useEffect(() => {
    if (role !== 'admin') return;
    api
      .users()
      .then((r) => put(r.users))
      .catch((error: unknown) => console.error('directory: users not listed', error));
  }, [role, put]);

  const onEvent = useCallback(
    (event: TellerEvent) => {
      if (event.type === 'user.created' || event.type === 'user.updated') put([event.payload.user]);
      if (event.type === 'user.deleted') {
        const { userId } = event.payload;
        setEntries((current) => {
          const next = new Map(current);
          next.delete(userId);
          return next;
        });
      }
    },
    [put],
  );
  useEventStream(['user.created', 'user.updated', 'user.deleted'], onEvent, 0);
  return entries;
}
