export const roles = ['agent', 'supervisor', 'admin'] as const;
export type Role = (typeof roles)[number];

/** Who may call a route: anyone (no session needed) or one of the listed roles. */
export type Access = 'public' | readonly Role[];

export const anyRole: readonly Role[] = roles;
export const supervisorUp: readonly Role[] = ['supervisor', 'admin'];
export const adminOnly: readonly Role[] = ['admin'];
