import { Button, Card, Skeleton } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { Customer360, CustomerProfile } from '../api/types';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';
import { Customer360View } from './Customer360View';
import { CustomerSearch } from './CustomerSearch';
import { customer360 } from './prefetch';
import type { ContactVerification } from './verification';

export interface CustomerPanelProps {
  customerId: string | null;
  interactionId: string | null;
  verification: ContactVerification;
  callerNumber: string | null;
  onSelect(customerId: string | null): void;
  onVerified(verification: ContactVerification): void;
  /** Called once the 360° header (name, tier) of the customer is laid out (screen-pop timing). */
  onRendered?(profile: CustomerProfile): void;
}

/** The customer of the contact: their 360° view, or a search when the contact did not say who. */
export function CustomerPanel(props: CustomerPanelProps) {
  const { customerId, interactionId, onSelect, onRendered } = props;
  const { t } = useI18n();
  const [view, setView] = useState<Customer360 | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    if (!customerId) return;
    setError(null);
    try {
      // The read the offer started, if it is for this customer and contact (prefetch.ts).
      const loaded = await customer360(customerId, interactionId);
      setView(loaded);
    } catch (e) {
      setError(e);
    }
  }, [customerId, interactionId]);

  useEffect(() => {
    setView(null);
    void load();
  }, [load]);

  return (
    <Card
      className="customer-panel"
      title={t('customer.title')}
      extra={
        customerId && (
          <Button size="small" onClick={() => onSelect(null)}>
            {t('customer.change')}
          </Button>
        )
      }
    >
      {!customerId && (
        <CustomerSearch {...(interactionId ? { interactionId } : {})} onSelect={(c) => onSelect(c.id)} />
      )}
      {customerId && !view && !error && <Skeleton active />}
      {error !== null && <ProblemAlert error={error} title={t('customer.loadFailed')} />}
      {view && (
        <Customer360View
          key={view.profile.id}
          view={view}
          interactionId={interactionId}
          verification={props.verification}
          callerNumber={props.callerNumber}
          onVerified={props.onVerified}
          onChanged={() => void load()}
          {...(onRendered ? { onHeaderLaidOut: onRendered } : {})}
        />
      )}
    </Card>
  );
}
