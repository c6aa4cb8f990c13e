import { Button, Form, Input, Select, Table, Tag } from 'antd';
import { useState } from 'react';
import { api } from '../api/client';
import { type Case, type CasePriority, casePriorities } from '../api/types';
import { formatTime } from '../common/format';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';

const categories = ['card', 'transfer', 'account', 'complaint', 'fraud', 'wealth', 'other'] as const;

interface Fields {
  subject: string;
  category: string;
  priority: CasePriority;
  note?: string;
}

export interface CasesPanelProps {
  customerId: string;
  cases: Case[];
  interactionId: string | null;
  onChanged(): void;
}

/** Open cases with their SLA, and a new case from this contact. */
export function CasesPanel({ customerId, cases, interactionId, onChanged }: CasesPanelProps) {
  const { t, tOr, lang } = useI18n();
  const [form] = Form.useForm<Fields>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const open = async (fields: Fields) => {
    setBusy(true);
    setError(null);
    try {
      await api.openCase(customerId, {
        subject: fields.subject.trim(),
        category: fields.category,
        priority: fields.priority,
        ...(fields.note?.trim() ? { note: fields.note.trim() } : {}),
        ...(interactionId ? { interactionId } : {}),
      });
      form.resetFields();
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Table<Case>
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={cases}
        locale={{ emptyText: t('cases.none') }}
        columns={[
          { title: t('cases.subject'), dataIndex: 'subject' },
          { title: t('cases.category'), render: (_, c) => tOr(`caseCategory.${c.category}`, c.category) },
          { title: t('cases.priority'), render: (_, c) => tOr(`priority.${c.priority}`, c.priority) },
          { title: t('cases.status'), render: (_, c) => tOr(`caseStatus.${c.status}`, c.status) },
          {
            title: t('cases.sla'),
            render: (_, c) =>
              c.breached ? <Tag color="red">{t('cases.breached')}</Tag> : formatTime(c.slaDueAt, lang),
          },
        ]}
      />
      <Form<Fields>
        form={form}
        layout="vertical"
        className="case-form"
        initialValues={{ category: 'other', priority: 'normal' }}
        onFinish={open}
      >
        <Form.Item
          name="subject"
          label={t('cases.subject')}
          rules={[{ required: true, whitespace: true, message: t('cases.subjectRequired') }]}
        >
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item name="category" label={t('cases.category')}>
          <Select options={categories.map((c) => ({ value: c, label: tOr(`caseCategory.${c}`, c) }))} />
        </Form.Item>
        <Form.Item name="priority" label={t('cases.priority')}>
          <Select options={casePriorities.map((p) => ({ value: p, label: tOr(`priority.${p}`, p) }))} />
        </Form.Item>
        <Form.Item name="note" label={t('cases.note')}>
          <Input.TextArea rows={2} maxLength={2000} />
        </Form.Item>
        <Button htmlType="submit" type="primary" loading={busy}>
          {t('cases.open')}
        </Button>
      </Form>
      {error !== null && <ProblemAlert error={error} title={t('cases.failed')} />}
    </>
  );
}
