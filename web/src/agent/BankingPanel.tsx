import { Alert, Button, Card, Descriptions, Form, Input, Select, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, newIdempotencyKey } from '../api/client';
import type { Account, TransferResult } from '../api/types';
import { amountPattern, formatMoney, groupDecimal } from '../common/format';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';
import { type ContactVerification, levelAtLeast } from './verification';

export interface BankingPanelProps {
  customerId: string;
  accounts: Account[];
  interactionId: string | null;
  verification: ContactVerification;
  callerNumber: string | null;
  onVerified(verification: ContactVerification): void;
  onDone(): void;
}

function VerificationBox(props: BankingPanelProps) {
  const { customerId, interactionId, verification, callerNumber, onVerified } = props;
  const { t, tOr } = useI18n();
  const [number, setNumber] = useState(callerNumber ?? '');
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card size="small" title={t('verify.title')}>
      <Space orientation="vertical" className="full-width">
        <Typography.Text>
          {t('verify.current')}{' '}
          <Tag
            color={
              verification.level === 'none'
                ? 'red'
                : verification.level === 'caller-number'
                  ? 'gold'
                  : 'green'
            }
          >
            {tOr(`verification.${verification.level}`, verification.level)}
          </Tag>
        </Typography.Text>
        <Space.Compact>
          <Input
            aria-label={t('verify.callerNumber')}
            placeholder={t('verify.callerNumber')}
            value={number}
            onChange={(e) => setNumber(e.target.value)}
            inputMode="tel"
          />
          <Button
            disabled={!number || busy}
            onClick={() =>
              void run(async () => {
                const v = await api.verifyCallerNumber(customerId, number.trim(), interactionId ?? undefined);
                onVerified({ level: v.level, verificationId: v.id });
              })
            }
          >
            {t('verify.byCallerNumber')}
          </Button>
        </Space.Compact>
        <Button
          disabled={
            !interactionId ||
            busy ||
            levelAtLeast(verification.level, 'pin') ||
            verification.state === 'in-progress'
          }
          onClick={() =>
            void run(async () => {
              if (!interactionId) return;
              await api.requestIvrVerification(interactionId, 'pin');
              setSent(true);
            })
          }
        >
          {t('verify.sendToIvr')}
        </Button>
        {verification.state ? (
          <Alert
            type={
              verification.state === 'verified'
                ? 'success'
                : verification.state === 'in-progress'
                  ? 'info'
                  : 'warning'
            }
            showIcon
            data-testid="ivr-verification"
            data-state={verification.state}
            title={t(`verify.state.${verification.state}`)}
          />
        ) : (
          sent && <Alert type="info" showIcon title={t('verify.sentToIvr')} />
        )}
        {error !== null && (
          <ProblemAlert error={error} title={t('verify.failed')} onClose={() => setError(null)} />
        )}
      </Space>
    </Card>
  );
}

interface TransferFields {
  fromAccountId: string;
  toAccountId: string;
  amount: string;
  memo?: string;
}

/**
 * A transfer between the customer's own accounts. The bank needs the customer verified by PIN
 * for it; below that the form says so and stays closed (the bank would refuse anyway, and its
 * problem is shown if it does). One idempotency key per reviewed transfer: a retry after a
 * network error cannot move the money twice.
 */
function OwnTransfer(props: BankingPanelProps) {
  const { customerId, accounts, interactionId, verification, onDone } = props;
  const { t, tOr } = useI18n();
  const [form] = Form.useForm<TransferFields>();
  const [review, setReview] = useState<(TransferFields & { key: string }) | null>(null);
  const [result, setResult] = useState<TransferResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const allowed = levelAtLeast(verification.level, 'pin');
  const usable = accounts.filter((a) => a.status === 'active' && a.kind !== 'brokerage');
  const fromId = Form.useWatch('fromAccountId', form);
  const from = usable.find((a) => a.id === fromId);
  const label = (a: Account) => `${a.name} · ${a.number} · ${formatMoney(a.available)}`;
  const byId = (id: string) => accounts.find((a) => a.id === id);

  const confirm = async () => {
    // The form is hidden while the transfer is read back, so its watched fields are empty:
    // the accounts come from the review.
    const source = review ? accounts.find((a) => a.id === review.fromAccountId) : undefined;
    if (!review || !source) return;
    setBusy(true);
    setError(null);
    try {
      const done = await api.transferOwn(
        customerId,
        {
          fromAccountId: review.fromAccountId,
          toAccountId: review.toAccountId,
          amount: { amount: review.amount, currency: source.currency },
          ...(review.memo ? { memo: review.memo } : {}),
          ...(verification.verificationId ? { verificationId: verification.verificationId } : {}),
          ...(interactionId ? { interactionId } : {}),
        },
        review.key,
      );
      setResult(done);
      setReview(null);
      form.resetFields();
      onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card size="small" title={t('transferOwn.title')}>
      {!allowed && (
        <Alert
          type="warning"
          showIcon
          className="verification-needed"
          title={t('transferOwn.needsPin')}
          description={t('transferOwn.needsPinHelp', {
            have: tOr(`verification.${verification.level}`, verification.level),
          })}
        />
      )}
      {result && (
        <Alert
          type="success"
          showIcon
          closable={{ onClose: () => setResult(null), 'aria-label': t('common.close') }}
          title={t('transferOwn.done', { amount: formatMoney(result.amount) })}
          description={t('transferOwn.balances', {
            from: formatMoney(result.fromBalance),
            to: result.toBalance ? formatMoney(result.toBalance) : '—',
          })}
        />
      )}
      {review ? (
        <Space orientation="vertical" className="full-width">
          <Descriptions
            size="small"
            column={1}
            bordered
            title={t('transferOwn.review')}
            items={[
              { key: 'from', label: t('transferOwn.from'), children: byId(review.fromAccountId)?.number },
              { key: 'to', label: t('transferOwn.to'), children: byId(review.toAccountId)?.number },
              {
                key: 'amount',
                label: t('transferOwn.amount'),
                children: `${from?.currency ?? ''} ${groupDecimal(review.amount)}`,
              },
              ...(review.memo ? [{ key: 'memo', label: t('transferOwn.memo'), children: review.memo }] : []),
            ]}
          />
          <Space>
            <Button type="primary" loading={busy} onClick={() => void confirm()}>
              {t('transferOwn.confirm')}
            </Button>
            <Button disabled={busy} onClick={() => setReview(null)}>
              {t('common.back')}
            </Button>
          </Space>
        </Space>
      ) : (
        <Form<TransferFields>
          form={form}
          layout="vertical"
          disabled={!allowed}
          onFinish={(fields) => {
            setResult(null);
            setError(null);
            setReview({ ...fields, amount: fields.amount.trim(), key: newIdempotencyKey() });
          }}
        >
          <Form.Item
            name="fromAccountId"
            label={t('transferOwn.from')}
            rules={[{ required: true, message: t('transferOwn.fromRequired') }]}
          >
            <Select options={usable.map((a) => ({ value: a.id, label: label(a) }))} />
          </Form.Item>
          <Form.Item
            name="toAccountId"
            label={t('transferOwn.to')}
            dependencies={['fromAccountId']}
            rules={[
              { required: true, message: t('transferOwn.toRequired') },
              ({ getFieldValue }) => ({
                validator: (_, value: string) =>
                  value && value === getFieldValue('fromAccountId')
                    ? Promise.reject(new Error(t('transferOwn.sameAccount')))
                    : Promise.resolve(),
              }),
            ]}
          >
            <Select
              options={usable
                .filter((a) => !from || (a.id !== from.id && a.currency === from.currency))
                .map((a) => ({ value: a.id, label: label(a) }))}
            />
          </Form.Item>
          <Form.Item
            name="amount"
            label={t('transferOwn.amount')}
            rules={[
              { required: true, message: t('transferOwn.amountRequired') },
              { pattern: amountPattern, message: t('transferOwn.amountInvalid') },
            ]}
          >
            <Input inputMode="decimal" prefix={from?.currency ?? ' '} autoComplete="off" />
          </Form.Item>
          <Form.Item name="memo" label={t('transferOwn.memo')}>
            <Input maxLength={140} />
          </Form.Item>
          <Button htmlType="submit">{t('transferOwn.reviewButton')}</Button>
        </Form>
      )}
      {error !== null && <ProblemAlert error={error} title={t('transferOwn.failed')} />}
    </Card>
  );
}

/** Banking on the customer's behalf, gated by how well the customer is verified in this contact. */
export function BankingPanel(props: BankingPanelProps) {
  return (
    <Space orientation="vertical" size="middle" className="full-width">
      <VerificationBox {...props} />
      <OwnTransfer {...props} />
    </Space>
  );
}
