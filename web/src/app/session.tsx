/**
 * Who is signed in. The session itself is the HTTP-only cookie the login sets; this keeps the
 * user, and the password only in memory (never storage) because the softphone registers with
 * it (the demo SIP password is the login password). A reload forgets it: the desktop asks again.
 */
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { api, setUnauthenticatedHandler } from '../api/client';
import type { User } from '../api/types';

interface SessionValue {
  user: User | null;
  /** True until the first /auth/me answers. */
  loading: boolean;
  login(username: string, password: string): Promise<User>;
  logout(): Promise<void>;
  /** The password typed at login, for SIP registration; undefined after a reload. */
  sipPassword(): string | undefined;
  rememberSipPassword(password: string): void;
}

const SessionContext = createContext<SessionValue | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [loading, setLoading] = useState(true);
  const password = useRef<string | undefined>(undefined);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      password.current = undefined;
      setUser(null);
    });
    api
      .me()
      .then((me) => setUser(me.user))
      .catch(() => setUser(null))
      .finally(() => setLoading(false));
    return () => setUnauthenticatedHandler(undefined);
  }, []);

  const login = useCallback(async (username: string, secret: string) => {
    const result = await api.login(username, secret);
    password.current = secret;
    setUser(result.user);
    return result.user;
  }, []);

  const logout = useCallback(async () => {
    try {
      // An agent who leaves the desktop leaves the queues too, or contacts would keep being offered.
      if (user?.role === 'agent') {
        await api
          .acdLogout()
          .catch((error: unknown) => console.error('ACD logout before sign-out failed', error));
      }
      await api.logout();
    } finally {
      password.current = undefined;
      setUser(null);
    }
  }, [user]);

  const value = useMemo<SessionValue>(
    () => ({
      user,
      loading,
      login,
      logout,
      sipPassword: () => password.current,
      rememberSipPassword: (secret: string) => {
        password.current = secret;
      },
    }),
    [user, loading, login, logout],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
