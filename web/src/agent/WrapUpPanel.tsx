import { Button, Card, Form, Input, Progress, Select, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { formatDuration } from '../common/format';
import { ProblemAlert } from '../common/ProblemAlert';
import { useNow } from '../common/useNow';
import { useI18n } from '../i18n/i18n';

interface Fields {
  code: string;
  summary?: string;
}

export interface WrapUpPanelProps {
  interactionId: string;
  deadline: number;
  clockOffset: number;
  customerId: string | null;
  channel: string;
  onDone(): void;
}

/**
 * After-contact work: the wrap-up code and a summary go on the customer's timeline (the code as
 * its outcome), then the ACD is told the work is done, with the code (it goes on the interaction's
 * record and in the completed event). The codes are the ACD's own list, the one it checks. The
 * timer shows what is left before the ACD ends the wrap-up by itself; the agent may ask for 30
 * seconds more.
 */
export function WrapUpPanel({
  interactionId,
  deadline,
  clockOffset,
  customerId,
  channel,
  onDone,
}: WrapUpPanelProps) {
  const { t, tOr } = useI18n();
  const now = useNow(500, clockOffset);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const left = Math.max(0, deadline - now);
  const [total] = useState(() => Math.max(1, deadline - now));
  // undefined while read; null when the ACD takes any code (then the agent types one).
  const [codes, setCodes] = useState<string[] | null | undefined>(undefined);

  useEffect(() => {
    let live = true;
    api
      .wrapUpCodes()
      .then((r) => {
        if (live) setCodes(r.codes);
      })
      .catch((e: unknown) => {
        if (live) setError(e);
      });
    return () => {
      live = false;
    };
  }, []);

  const finish = async (fields: Fields) => {
    const code = fields.code.trim();
    setBusy(true);
    setError(null);
    try {
      if (customerId) {
        await api.logContact(customerId, {
          channel:
            channel === 'voice' ||
            channel === 'chat' ||
            channel === 'email' ||
            channel === 'sms' ||
            channel === 'video'
              ? channel
              : 'voice',
          direction: 'inbound',
          summary: fields.summary?.trim() || tOr(`wrapup.${code}`, code),
          outcome: code,
          interactionId,
        });
      }
      await api.endWrapUp(interactionId, code);
      onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const extend = async () => {
    setError(null);
    try {
      await api.extendWrapUp(interactionId, 30_000);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <Card size="small" title={t('wrapup.title')} className="wrap-up">
      <div className="wrap-up-timer" role="timer" aria-live="off" aria-label={t('wrapup.timer')}>
        <Typography.Text strong className={left < 10_000 ? 'urgent' : ''}>
          {t('wrapup.left', { duration: formatDuration(left) })}
        </Typography.Text>
        <Progress
          percent={Math.round((left / total) * 100)}
          showInfo={false}
          status={left < 10_000 ? 'exception' : 'active'}
        />
      </div>
      <Form<Fields> layout="vertical" onFinish={finish}>
        <Form.Item
          name="code"
          label={t('wrapup.code')}
          rules={[{ required: true, whitespace: true, message: t('wrapup.codeRequired') }]}
        >
          {codes === null ? (
            <Input maxLength={100} />
          ) : (
            <Select
              loading={codes === undefined}
              options={(codes ?? []).map((code) => ({ value: code, label: tOr(`wrapup.${code}`, code) }))}
            />
          )}
        </Form.Item>
        <Form.Item name="summary" label={t('wrapup.summary')}>
          <Input.TextArea rows={2} maxLength={500} />
        </Form.Item>
        {!customerId && (
          <Typography.Paragraph type="secondary">{t('wrapup.noCustomer')}</Typography.Paragraph>
        )}
        <Space>
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('wrapup.finish')}
          </Button>
          <Button onClick={() => void extend()}>{t('wrapup.extend')}</Button>
        </Space>
      </Form>
      {error !== null && <ProblemAlert error={error} title={t('wrapup.failed')} />}
    </Card>
  );
}
