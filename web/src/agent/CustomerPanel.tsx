import { Button, Card, Skeleton } from 'antd';
import { useCallback, useEffect, useLayoutEffect, useState } from 'react';
import { api } from '../api/client';
import type { Customer360, CustomerProfile } from '../api/types';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';
import { Customer360View } from './Customer360View';
import { CustomerSearch } from './CustomerSearch';
import type { ContactVerification } from './verification';

export interface CustomerPanelProps {
  customerId: string | null;
  interactionId: string | null;
  verification: ContactVerification;
  callerNumber: string | null;
  onSelect(customerId: string | null): void;
  onVerified(verification: ContactVerification): void;
  /** Called once the 360° view of a popped customer is on screen (screen-pop timing). */
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
      const loaded = await api.customer(customerId, interactionId ?? undefined);
      setView(loaded);
    } catch (e) {
      setError(e);
    }
  }, [customerId, interactionId]);

  useEffect(() => {
    setView(null);
    void load();
  }, [load]);

  useLayoutEffect(() => {
    if (view && onRendered) onRendered(view.profile);
  }, [view, onRendered]);

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
          view={view}
          interactionId={interactionId}
          verification={props.verification}
          callerNumber={props.callerNumber}
          onVerified={props.onVerified}
          onChanged={() => void load()}
        />
      )}
    </Card>
  );
}
