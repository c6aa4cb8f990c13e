import { Button, Form, Input, InputNumber, Modal, Select, Space, Table, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import { type QueueConfig, type QueueView, routingStrategies } from '../api/types';
import { formatDuration } from '../common/format';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';

interface Fields {
  name: string;
  slPercent: number;
  slSeconds: number;
  priority: number;
  strategy: QueueConfig['strategy'];
  wrapUpSeconds: number;
  ringNoAnswerSeconds: number;
  skills: { skill: string; minProficiency: number }[];
}

function toFields(c: QueueConfig): Fields {
  return {
    name: c.name ?? '',
    slPercent: c.serviceLevel.percent,
    slSeconds: c.serviceLevel.withinMs / 1000,
    priority: c.priority,
    strategy: c.strategy,
    wrapUpSeconds: c.wrapUpMs / 1000,
    ringNoAnswerSeconds: c.ringNoAnswerMs / 1000,
    skills: c.skills,
  };
}

/** The queue as it was, with the edited fields changed (PUT replaces the whole configuration). */
function fromFields(c: QueueConfig, f: Fields): QueueConfig {
  return {
    ...c,
    name: f.name.trim() || c.id,
    serviceLevel: { percent: f.slPercent, withinMs: Math.round(f.slSeconds * 1000) },
    priority: f.priority,
    strategy: f.strategy,
    wrapUpMs: Math.round(f.wrapUpSeconds * 1000),
    ringNoAnswerMs: Math.round(f.ringNoAnswerSeconds * 1000),
    skills: f.skills
      .filter((s) => s.skill.trim())
      .map((s) => ({ skill: s.skill.trim(), minProficiency: s.minProficiency })),
  };
}

function QueueDialog({ queue, onClose, onSaved }: { queue: QueueConfig; onClose(): void; onSaved(): void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<Fields>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const save = async (fields: Fields) => {
    setBusy(true);
    setError(null);
    try {
      await api.saveQueue(fromFields(queue, fields));
      onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t('queues.edit', { queue: queue.name ?? queue.id })}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      width={640}
    >
      <Form<Fields> form={form} layout="vertical" initialValues={toFields(queue)} onFinish={save}>
        <Form.Item name="name" label={t('queues.name')}>
          <Input maxLength={200} />
        </Form.Item>
        <Space wrap>
          <Form.Item name="slPercent" label={t('queues.slPercent')} rules={[{ required: true }]}>
            <InputNumber min={0} max={100} />
          </Form.Item>
          <Form.Item name="slSeconds" label={t('queues.slSeconds')} rules={[{ required: true }]}>
            <InputNumber min={0} />
          </Form.Item>
          <Form.Item name="priority" label={t('queues.priority')} rules={[{ required: true }]}>
            <InputNumber min={-1000} max={1000} />
          </Form.Item>
        </Space>
        <Space wrap>
          <Form.Item name="strategy" label={t('queues.strategy')}>
            <Select
              className="strategy-select"
              options={routingStrategies.map((s) => ({ value: s, label: t(`strategy.${s}`) }))}
            />
          </Form.Item>
          <Form.Item name="wrapUpSeconds" label={t('queues.wrapUp')}>
            <InputNumber min={0} />
          </Form.Item>
          <Form.Item name="ringNoAnswerSeconds" label={t('queues.ringNoAnswer')}>
            <InputNumber min={0} />
          </Form.Item>
        </Space>
        <Form.List name="skills">
          {(fields, { add, remove }) => (
            <fieldset className="skills-list">
              <legend>{t('queues.skills')}</legend>
              {fields.map((field) => (
                <Space key={field.key} align="baseline">
                  <Form.Item
                    name={[field.name, 'skill']}
                    label={t('queues.skill')}
                    rules={[{ required: true }]}
                  >
                    <Input />
                  </Form.Item>
                  <Form.Item
                    name={[field.name, 'minProficiency']}
                    label={t('queues.minProficiency')}
                    rules={[{ required: true }]}
                  >
                    <InputNumber min={1} max={5} />
                  </Form.Item>
                  <Button onClick={() => remove(field.name)} aria-label={t('queues.removeSkill')}>
                    {t('common.remove')}
                  </Button>
                </Space>
              ))}
              <Button onClick={() => add({ skill: '', minProficiency: 1 })}>{t('queues.addSkill')}</Button>
            </fieldset>
          )}
        </Form.List>
      </Form>
      {error !== null && <ProblemAlert error={error} title={t('queues.saveFailed')} />}
    </Modal>
  );
}

/** Queues and their routing settings, read from and written to the ACD (PUT /api/v1/acd/queues/{id}). */
export function QueuesAdmin() {
  const { t } = useI18n();
  const [queues, setQueues] = useState<QueueView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<QueueConfig | null>(null);

  const load = useCallback(async () => {
    try {
      setQueues((await api.queues()).queues);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => void load(), [load]);

  return (
    <Space orientation="vertical" className="full-width">
      {error !== null && <ProblemAlert error={error} onClose={() => setError(null)} />}
      <Table<QueueView>
        size="small"
        rowKey={(q) => q.config.id}
        loading={queues === null}
        dataSource={queues ?? []}
        pagination={false}
        aria-label={t('queues.title')}
        columns={[
          { title: t('queues.id'), render: (_, q) => <code>{q.config.id}</code> },
          { title: t('queues.name'), render: (_, q) => q.config.name ?? '—' },
          { title: t('queues.channel'), render: (_, q) => t(`channel.${q.config.channel}`) },
          {
            title: t('queues.serviceLevel'),
            render: (_, q) =>
              `${q.config.serviceLevel.percent}% / ${formatDuration(q.config.serviceLevel.withinMs)}`,
          },
          { title: t('queues.priority'), render: (_, q) => q.config.priority },
          { title: t('queues.strategy'), render: (_, q) => t(`strategy.${q.config.strategy}`) },
          { title: t('queues.wrapUp'), render: (_, q) => formatDuration(q.config.wrapUpMs) },
          {
            title: t('queues.skills'),
            render: (_, q) =>
              q.config.skills.map((s) => (
                <Tag key={s.skill}>
                  {s.skill} ≥ {s.minProficiency}
                </Tag>
              )),
          },
          {
            title: t('users.actions'),
            render: (_, q) => (
              <Button size="small" onClick={() => setEditing(q.config)}>
                {t('common.edit')}
              </Button>
            ),
          },
        ]}
      />
      {editing && (
        <QueueDialog
          queue={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void load();
          }}
        />
      )}
    </Space>
  );
}
