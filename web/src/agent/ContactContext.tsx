import { Alert, Card, Descriptions, type DescriptionsProps, Skeleton, Tag } from 'antd';
import type { ReactNode } from 'react';
import { ApiProblem } from '../api/client';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';
import type { ContactState } from './useAgentDesk';

export interface ContactContextProps {
  contact: ContactState;
  queueName: string | null;
  verificationLevel: string;
}

type DescriptionsItemType = NonNullable<DescriptionsProps['items']>[number];

/** How the customer got here: the IVR path, how sure we are it is them, and why they called. */
export function ContactContext({ contact, queueName, verificationLevel }: ContactContextProps) {
  const { t, tOr } = useI18n();
  const data = contact.interaction?.data;
  const missing = contact.error instanceof ApiProblem && contact.error.missingRoute;
  const row = (key: string, label: string, children: ReactNode): DescriptionsItemType => ({
    key,
    label,
    children,
  });
  const items: DescriptionsItemType[] = [
    row('id', t('contact.id'), <code>{contact.interactionId}</code>),
    ...(queueName ? [row('queue', t('contact.queue'), queueName)] : []),
    ...(contact.interaction
      ? [
          row(
            'channel',
            t('contact.channel'),
            tOr(`channel.${contact.interaction.channel}`, contact.interaction.channel),
          ),
        ]
      : []),
    ...(data?.callerNumber ? [row('caller', t('contact.callerNumber'), data.callerNumber)] : []),
    row(
      'verification',
      t('contact.verification'),
      <Tag
        color={
          verificationLevel === 'none' ? 'red' : verificationLevel === 'caller-number' ? 'gold' : 'green'
        }
        data-testid="verification-level"
      >
        {tOr(`verification.${verificationLevel}`, verificationLevel)}
      </Tag>,
    ),
    ...(data?.intent ? [row('intent', t('contact.intent'), tOr(`intent.${data.intent}`, data.intent))] : []),
    ...(data?.language ? [row('language', t('contact.language'), data.language)] : []),
    ...(data?.ivrPath && data.ivrPath.length > 0
      ? [
          row(
            'ivr',
            t('contact.ivrPath'),
            <ol className="ivr-path" aria-label={t('contact.ivrPath')}>
              {data.ivrPath.map((step, index) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a path may pass the same step twice
                <li key={`${index}-${step}`}>{step}</li>
              ))}
            </ol>,
          ),
        ]
      : []),
  ];
  return (
    <Card size="small" title={t('contact.title')} className="contact-context">
      {contact.loading && <Skeleton active paragraph={{ rows: 2 }} />}
      {missing && (
        <Alert
          type="warning"
          showIcon
          title={t('contact.unavailable')}
          description={t('contact.unavailableHelp')}
        />
      )}
      {contact.error !== null && !missing && (
        <ProblemAlert error={contact.error} title={t('contact.loadFailed')} />
      )}
      <Descriptions size="small" column={1} bordered items={items} />
    </Card>
  );
}
