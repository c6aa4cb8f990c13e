import { Alert } from 'antd';
import { ApiProblem } from '../api/client';
import { useI18n } from '../i18n/i18n';

export interface ProblemAlertProps {
  error: unknown;
  /** What was being done, for the title ("Transfer failed"). */
  title?: string;
  onClose?: () => void;
}

/** An API problem (RFC 9457) as the user sees it: what failed, the server's words, its code. */
export function ProblemAlert({ error, title, onClose }: ProblemAlertProps) {
  const { t } = useI18n();
  if (!error) return null;
  const problem = error instanceof ApiProblem ? error : undefined;
  const missing = problem?.missingRoute ?? false;
  const description = (
    <>
      <div>{missing ? t('problem.missingRoute') : (problem?.detail ?? String(error))}</div>
      {problem && problem.fields.length > 0 && (
        <ul className="problem-fields">
          {problem.fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
      {problem && (
        <div className="problem-code">
          {problem.status > 0 ? `HTTP ${problem.status} · ` : ''}
          <code>{problem.code}</code>
          {missing ? ` · ${problem.detail}` : ''}
        </div>
      )}
    </>
  );
  return (
    <Alert
      type={missing ? 'warning' : 'error'}
      showIcon
      role="alert"
      title={title ?? t('problem.title')}
      description={description}
      {...(onClose ? { closable: { onClose, 'aria-label': t('common.close') } } : {})}
    />
  );
}
