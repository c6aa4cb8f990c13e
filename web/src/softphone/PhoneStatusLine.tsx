import { Badge, Typography } from 'antd';
import { useI18n } from '../i18n/i18n';
import type { PhoneSnapshot } from './Softphone';

const statusColor: Record<PhoneSnapshot['status'], 'success' | 'processing' | 'default' | 'error'> = {
  registered: 'success',
  connecting: 'processing',
  disconnected: 'default',
  failed: 'error',
};

/** The browser phone's registration, for the agent's and the supervisor's screens. */
export function PhoneStatusLine({
  snapshot,
  extension,
}: {
  snapshot: PhoneSnapshot;
  extension: string | null;
}) {
  const { t } = useI18n();
  return (
    <div className="phone-status" aria-live="polite">
      <Badge status={statusColor[snapshot.status]} />
      <Typography.Text data-testid="phone-status" data-status={snapshot.status}>
        {t(`phone.${snapshot.status}`, { extension: extension ?? '—' })}
      </Typography.Text>
      {snapshot.error && <Typography.Text type="danger"> · {snapshot.error}</Typography.Text>}
    </div>
  );
}
