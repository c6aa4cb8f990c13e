import { Form, Input, Modal, Radio, Select } from 'antd';
import { useState } from 'react';
import type { QueueView } from '../api/types';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';

export type TransferTarget =
  | { kind: 'agent'; extension: string; mode: 'blind' | 'consult' }
  | { kind: 'number'; number: string; mode: 'blind' | 'consult' }
  | { kind: 'queue'; queueId: string };

interface Fields {
  kind: 'agent' | 'queue' | 'number';
  mode: 'blind' | 'consult';
  extension?: string;
  number?: string;
  queueId?: string;
}

export interface TransferDialogProps {
  open: boolean;
  /** `conference` asks for an agent or a number only, with no mode. */
  purpose: 'transfer' | 'conference';
  queues: QueueView[];
  onCancel(): void;
  onSubmit(target: TransferTarget): Promise<void>;
}

/** Where to send the customer: an agent's extension, a queue or an outside number; blind or after a word first. */
export function TransferDialog({ open, purpose, queues, onCancel, onSubmit }: TransferDialogProps) {
  const { t } = useI18n();
  const [form] = Form.useForm<Fields>();
  const kind = Form.useWatch('kind', form) ?? 'agent';
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (fields: Fields) => {
    setBusy(true);
    setError(null);
    try {
      if (fields.kind === 'queue') await onSubmit({ kind: 'queue', queueId: fields.queueId ?? '' });
      else if (fields.kind === 'agent')
        await onSubmit({ kind: 'agent', extension: fields.extension ?? '', mode: fields.mode });
      else await onSubmit({ kind: 'number', number: fields.number ?? '', mode: fields.mode });
      form.resetFields();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const kinds =
    purpose === 'conference' ? (['agent', 'number'] as const) : (['agent', 'queue', 'number'] as const);
  return (
    <Modal
      open={open}
      title={purpose === 'transfer' ? t('transfer.title') : t('conference.title')}
      okText={purpose === 'transfer' ? t('transfer.submit') : t('conference.submit')}
      cancelText={t('common.cancel')}
      onCancel={() => {
        setError(null);
        onCancel();
      }}
      onOk={() => form.submit()}
      confirmLoading={busy}
      destroyOnHidden
    >
      <Form<Fields>
        form={form}
        layout="vertical"
        initialValues={{ kind: 'agent', mode: 'blind' }}
        onFinish={submit}
      >
        <Form.Item name="kind" label={t('transfer.to')}>
          <Radio.Group
            optionType="button"
            options={kinds.map((k) => ({ value: k, label: t(`transfer.kind.${k}`) }))}
          />
        </Form.Item>
        {kind === 'agent' && (
          <Form.Item
            name="extension"
            label={t('transfer.extension')}
            rules={[{ required: true, pattern: /^\d{3,6}$/, message: t('transfer.extensionInvalid') }]}
          >
            <Input inputMode="numeric" autoComplete="off" />
          </Form.Item>
        )}
        {kind === 'number' && (
          <Form.Item
            name="number"
            label={t('transfer.number')}
            rules={[{ required: true, pattern: /^\+?\d{3,20}$/, message: t('transfer.numberInvalid') }]}
          >
            <Input inputMode="tel" autoComplete="off" />
          </Form.Item>
        )}
        {kind === 'queue' && (
          <Form.Item
            name="queueId"
            label={t('transfer.queue')}
            rules={[{ required: true, message: t('transfer.queueRequired') }]}
          >
            <Select
              options={queues
                .filter((q) => q.config.channel === 'voice')
                .map((q) => ({ value: q.config.id, label: q.config.name ?? q.config.id }))}
            />
          </Form.Item>
        )}
        {purpose === 'transfer' && kind !== 'queue' && (
          <Form.Item name="mode" label={t('transfer.mode')}>
            <Radio.Group
              options={[
                { value: 'blind', label: t('transfer.blind') },
                { value: 'consult', label: t('transfer.consult') },
              ]}
            />
          </Form.Item>
        )}
      </Form>
      {error !== null && <ProblemAlert error={error} title={t('transfer.failed')} />}
    </Modal>
  );
}
