import { Alert, Card, Descriptions, Skeleton, Tag } from 'antd';
import { ApiProblem } from '../api/client';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';
import type { ContactState } from './useAgentDesk';

export interface ContactContextProps {
  contact: ContactState;
  queueName: string | null;
  verificationLevel: string;
}

/** How the customer got here: the IVR path, how sure we are it is them, and why they called. */
export function ContactContext({ contact, queueName, verificationLevel }: ContactContextProps) {
  const { t, tOr } = useI18n();
  const data = contact.interaction?.data;
  const missing = contact.error instanceof ApiProblem && contact.error.missingRoute;
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
      <Descriptions size="small" column={1} bordered>
        <Descriptions.Item label={t('contact.id')}>
          <code>{contact.interactionId}</code>
        </Descriptions.Item>
        {queueName && <Descriptions.Item label={t('contact.queue')}>{queueName}</Descriptions.Item>}
        {contact.interaction && (
          <Descriptions.Item label={t('contact.channel')}>
            {tOr(`channel.${contact.interaction.channel}`, contact.interaction.channel)}
          </Descriptions.Item>
        )}
        {data?.callerNumber && (
          <Descriptions.Item label={t('contact.callerNumber')}>{data.callerNumber}</Descriptions.Item>
        )}
        <Descriptions.Item label={t('contact.verification')}>
          <Tag
            color={
              verificationLevel === 'none' ? 'red' : verificationLevel === 'caller-number' ? 'gold' : 'green'
            }
            data-testid="verification-level"
          >
            {tOr(`verification.${verificationLevel}`, verificationLevel)}
          </Tag>
        </Descriptions.Item>
        {data?.intent && (
          <Descriptions.Item label={t('contact.intent')}>
            {tOr(`intent.${data.intent}`, data.intent)}
          </Descriptions.Item>
        )}
        {data?.language && (
          <Descriptions.Item label={t('contact.language')}>{data.language}</Descriptions.Item>
        )}
        {data?.ivrPath && data.ivrPath.length > 0 && (
          <Descriptions.Item label={t('contact.ivrPath')}>
            <ol className="ivr-path" aria-label={t('contact.ivrPath')}>
              {data.ivrPath.map((step, index) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a path may pass the same step twice
                <li key={`${index}-${step}`}>{step}</li>
              ))}
            </ol>
          </Descriptions.Item>
        )}
      </Descriptions>
    </Card>
  );
}
