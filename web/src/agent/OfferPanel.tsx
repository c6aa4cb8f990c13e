import { Button, Card, Space, Typography } from 'antd';
import { useEffect, useRef } from 'react';
import { formatDuration } from '../common/format';
import { useNow } from '../common/useNow';
import { useI18n } from '../i18n/i18n';
import { Ringer } from './ringer';
import type { Offer } from './useAgentDesk';

export interface OfferPanelProps {
  offer: Offer;
  queueName: string;
  customerLabel: string | null;
  clockOffset: number;
  onAccept(): void;
  onDecline(): void;
  busy: boolean;
}

/** An offer rings (tone and a pulsing card, announced to screen readers) until taken or gone. */
export function OfferPanel({
  offer,
  queueName,
  customerLabel,
  clockOffset,
  onAccept,
  onDecline,
  busy,
}: OfferPanelProps) {
  const { t } = useI18n();
  const now = useNow(500, clockOffset);
  const ringer = useRef(new Ringer());
  const acceptButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const r = ringer.current;
    r.start();
    const title = document.title;
    document.title = `☎ ${t('offer.title')} · Teller`;
    acceptButton.current?.focus();
    return () => {
      r.stop();
      document.title = title;
    };
  }, [t]);

  const left = offer.offerDeadline === null ? null : Math.max(0, offer.offerDeadline - now);
  return (
    <Card className="offer-card ringing" role="alert" aria-live="assertive" title={t('offer.title')}>
      <Space orientation="vertical" size="small">
        <Typography.Text strong className="offer-customer">
          {customerLabel ?? t('offer.unknownCustomer')}
        </Typography.Text>
        <Typography.Text>
          {t('offer.queue', { queue: queueName })} ·{' '}
          {t('offer.waited', { duration: formatDuration(offer.waitedMs) })}
        </Typography.Text>
        {left !== null && (
          <Typography.Text type="secondary">
            {t('offer.deadline', { duration: formatDuration(left) })}
          </Typography.Text>
        )}
        <Space>
          <Button ref={acceptButton} type="primary" onClick={onAccept} loading={busy}>
            {t('offer.accept')}
          </Button>
          <Button danger onClick={onDecline} disabled={busy}>
            {t('offer.decline')}
          </Button>
        </Space>
      </Space>
    </Card>
  );
}
