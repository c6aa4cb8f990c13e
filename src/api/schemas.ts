import { z } from 'zod';
import { roles } from './roles';

export const userSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    role: z.enum(roles),
    extension: z.string().nullable(),
    disabled: z.boolean(),
    lockedUntil: z.number().int().nullable().describe('epoch ms until which failed logins lock the account'),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'User' });

const username = z
  .string()
  .regex(
    /^[a-z][a-z0-9._-]{2,31}$/,
    '3–32 characters: lower-case letters, digits, dot, dash, underscore; starting with a letter',
  );
const password = z.string().min(10, 'at least 10 characters').max(200);
const extension = z.string().regex(/^\d{3,6}$/, '3–6 digits');

export const newUserSchema = z.strictObject({
  username,
  displayName: z.string().trim().min(1).max(100),
  role: z.enum(roles),
  password,
  extension: extension.nullable().optional(),
});

export const userPatchSchema = z.strictObject({
  displayName: z.string().trim().min(1).max(100).optional(),
  role: z.enum(roles).optional(),
  password: password.optional(),
  extension: extension.nullable().optional(),
  disabled: z.boolean().optional(),
  locked: z.literal(false).optional().describe('false unlocks an account locked by failed logins'),
});

export const loginSchema = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(200),
});

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

export const idParams = z.strictObject({ id: z.string().min(1).max(64) });

/** The usual error replies of an authenticated route, for the OpenAPI document. */
export const authErrors = { 400: problemSchema, 401: problemSchema, 403: problemSchema } as const;
