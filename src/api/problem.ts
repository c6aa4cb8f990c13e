import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ErrorKind, type FieldIssue, isTellerError, type Logger } from '../core/index';

/** RFC 9457 problem details, with Teller's stable `code` and, for bad input, the fields at fault. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: FieldIssue[];
}

export const statusOfKind: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  limit: 422,
  'rate-limited': 429,
  unavailable: 503,
  internal: 500,
};

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(status: number, code: string, detail: string, errors?: FieldIssue[]): Problem {
  const body: Problem = {
    type: `https://teller.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: titles[status] ?? 'Error',
    status,
    detail,
    code,
  };
  if (errors && errors.length > 0) body.errors = errors;
  return body;
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type('application/problem+json').send(body);
}

function validationFields(error: FastifyError & { validationContext?: string }): FieldIssue[] {
  const context = error.validationContext ?? 'body';
  const issues = hasZodFastifySchemaValidationErrors(error) ? error.validation : [];
  return issues.flatMap((issue) => {
    const base = [context, ...issue.instancePath.split('/').filter(Boolean)].join('.');
    const keys =
      issue.keyword === 'unrecognized_keys' ? (issue.params as { keys?: string[] }).keys : undefined;
    if (keys && keys.length > 0)
      return keys.map((k) => ({ field: `${base}.${k}`, message: 'unknown field' }));
    return [{ field: base, message: issue.message ?? 'invalid' }];
  });
}

/** Maps every error a route can raise to a problem+json reply; internal details stay in the log. */
export function errorToProblem(error: unknown, log: Logger): Problem {
  if (isTellerError(error)) {
    const status = statusOfKind[error.kind];
    if (status >= 500) log.error({ err: error }, 'request failed');
    return problem(status, error.code, error.message, [...error.fields]);
  }
  const fastifyError = error as FastifyError & { validationContext?: string };
  if (fastifyError.validation) {
    const fields = validationFields(fastifyError);
    const detail =
      fields.length > 0 ? `invalid ${fields.map((f) => f.field).join(', ')}` : fastifyError.message;
    return problem(400, 'API_INVALID_REQUEST', detail, fields);
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(400, 'API_MALFORMED_JSON', 'the request body is not valid JSON', [
        { field: 'body', message: fastifyError.message },
      ]);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'API_BODY_TOO_LARGE', 'the request body is larger than 1 MiB', [
        { field: 'body', message: 'over 1 MiB' },
      ]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(415, 'API_UNSUPPORTED_MEDIA_TYPE', 'send application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem(400, 'API_BAD_CONTENT_LENGTH', 'the Content-Length does not match the body');
  }
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) {
    return problem(status, 'API_BAD_REQUEST', fastifyError.message);
  }
  log.error({ err: error }, 'unhandled error');
  return problem(500, 'API_INTERNAL', 'an internal error occurred; it has been logged');
}

export function problemHandler(log: Logger) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const body = errorToProblem(error, log);
    body.instance = request.url.split('?')[0];
    return sendProblem(reply, body);
  };
}
