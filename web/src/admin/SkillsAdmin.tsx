import { Alert, Button, Form, Input, InputNumber, Modal, Space, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { AgentConfigInput, User } from '../api/types';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';

interface Fields {
  team?: string;
  skills: { skill: string; level: number }[];
  voice: number;
  chat: number;
  email: number;
}

function SkillsDialog({
  user,
  known,
  onClose,
  onSaved,
}: {
  user: User;
  known: AgentConfigInput | undefined;
  onClose(): void;
  onSaved(config: AgentConfigInput): void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<Fields>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const initial: Fields = {
    team: known?.team ?? '',
    skills: Object.entries(known?.skills ?? {}).map(([skill, level]) => ({ skill, level })),
    voice: known?.capacity.voice ?? 1,
    chat: known?.capacity.chat ?? 3,
    email: known?.capacity.email ?? 5,
  };
  const save = async (f: Fields) => {
    setBusy(true);
    setError(null);
    const config: AgentConfigInput = {
      name: user.displayName,
      ...(f.team?.trim() ? { team: f.team.trim() } : {}),
      skills: Object.fromEntries(
        f.skills.filter((s) => s.skill.trim()).map((s) => [s.skill.trim(), s.level]),
      ),
      capacity: { voice: f.voice, chat: f.chat, email: f.email },
    };
    try {
      await api.saveAgent(user.id, config);
      onSaved(config);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t('skills.edit', { name: user.displayName })}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      width={600}
    >
      {!known && <Alert type="warning" showIcon title={t('skills.replaceWarning')} />}
      <Form<Fields> form={form} layout="vertical" initialValues={initial} onFinish={save}>
        <Form.Item name="team" label={t('skills.team')}>
          <Input maxLength={200} />
        </Form.Item>
        <Form.List name="skills">
          {(fields, { add, remove }) => (
            <fieldset className="skills-list">
              <legend>{t('skills.skills')}</legend>
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
                    name={[field.name, 'level']}
                    label={t('skills.level')}
                    rules={[{ required: true }]}
                  >
                    <InputNumber min={1} max={5} />
                  </Form.Item>
                  <Button onClick={() => remove(field.name)} aria-label={t('queues.removeSkill')}>
                    {t('common.remove')}
                  </Button>
                </Space>
              ))}
              <Button onClick={() => add({ skill: '', level: 3 })}>{t('queues.addSkill')}</Button>
            </fieldset>
          )}
        </Form.List>
        <Space wrap>
          <Form.Item name="voice" label={t('skills.capacityVoice')}>
            <InputNumber min={0} max={100} />
          </Form.Item>
          <Form.Item name="chat" label={t('skills.capacityChat')}>
            <InputNumber min={0} max={100} />
          </Form.Item>
          <Form.Item name="email" label={t('skills.capacityEmail')}>
            <InputNumber min={0} max={100} />
          </Form.Item>
        </Space>
      </Form>
      {error !== null && <ProblemAlert error={error} title={t('skills.saveFailed')} />}
    </Modal>
  );
}

/**
 * Agents' skills, team and capacity (PUT /api/v1/acd/agents/{id}). The ACD API has no read of
 * an agent's configuration yet, so the screen shows what was saved from it in this session and
 * warns that saving replaces what the agent had.
 */
export function SkillsAdmin() {
  const { t } = useI18n();
  const [agents, setAgents] = useState<User[] | null>(null);
  const [saved, setSaved] = useState(() => new Map<string, AgentConfigInput>());
  const [skillNames, setSkillNames] = useState<string[]>([]);
  const [editing, setEditing] = useState<User | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    Promise.all([api.users(), api.queues()])
      .then(([u, q]) => {
        setAgents(u.users.filter((user) => user.role !== 'admin'));
        setSkillNames(
          [...new Set(q.queues.flatMap((view) => view.config.skills.map((s) => s.skill)))].sort(),
        );
      })
      .catch(setError);
  }, []);

  return (
    <Space orientation="vertical" className="full-width">
      <Alert type="info" showIcon title={t('skills.catalogue', { skills: skillNames.join(', ') || '—' })} />
      {error !== null && <ProblemAlert error={error} onClose={() => setError(null)} />}
      <Table<User>
        size="small"
        rowKey="id"
        loading={agents === null}
        dataSource={agents ?? []}
        pagination={{ pageSize: 30, hideOnSinglePage: true }}
        aria-label={t('skills.title')}
        columns={[
          { title: t('users.username'), dataIndex: 'username' },
          { title: t('users.displayName'), dataIndex: 'displayName' },
          {
            title: t('skills.skills'),
            render: (_, u) => {
              const config = saved.get(u.id);
              return config
                ? Object.entries(config.skills).map(([skill, level]) => (
                    <Tag key={skill}>{`${skill} ${level}`}</Tag>
                  ))
                : t('skills.notRead');
            },
          },
          {
            title: t('users.actions'),
            render: (_, u) => (
              <Button size="small" onClick={() => setEditing(u)}>
                {t('common.edit')}
              </Button>
            ),
          },
        ]}
      />
      {editing && (
        <SkillsDialog
          user={editing}
          known={saved.get(editing.id)}
          onClose={() => setEditing(null)}
          onSaved={(config) => {
            setSaved((m) => new Map(m).set(editing.id, config));
            setEditing(null);
          }}
        />
      )}
    </Space>
  );
}
