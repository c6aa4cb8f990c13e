import { Button, Form, Input, Modal, Select, Space, Table, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import type { Role, User } from '../api/types';
import { formatTime } from '../common/format';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';

interface NewUserFields {
  username: string;
  displayName: string;
  role: Role;
  password: string;
  extension?: string;
}

function NewUserDialog({ open, onClose, onCreated }: { open: boolean; onClose(): void; onCreated(): void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<NewUserFields>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const create = async (fields: NewUserFields) => {
    setBusy(true);
    setError(null);
    try {
      await api.createUser({
        username: fields.username.trim(),
        displayName: fields.displayName.trim(),
        role: fields.role,
        password: fields.password,
        extension: fields.extension?.trim() ? fields.extension.trim() : null,
      });
      form.resetFields();
      onCreated();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('users.new')}
      okText={t('users.create')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
    >
      <Form<NewUserFields> form={form} layout="vertical" initialValues={{ role: 'agent' }} onFinish={create}>
        <Form.Item
          name="username"
          label={t('users.username')}
          rules={[{ required: true, pattern: /^[a-z][a-z0-9._-]{2,31}$/, message: t('users.usernameRule') }]}
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item
          name="displayName"
          label={t('users.displayName')}
          rules={[{ required: true, whitespace: true, message: t('users.displayNameRequired') }]}
        >
          <Input />
        </Form.Item>
        <Form.Item name="role" label={t('users.role')}>
          <Select
            options={(['agent', 'supervisor', 'admin'] as const).map((r) => ({
              value: r,
              label: t(`role.${r}`),
            }))}
          />
        </Form.Item>
        <Form.Item
          name="password"
          label={t('users.password')}
          rules={[{ required: true, min: 10, message: t('users.passwordRule') }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="extension"
          label={t('users.extension')}
          rules={[{ pattern: /^\d{3,6}$/, message: t('users.extensionRule') }]}
        >
          <Input inputMode="numeric" />
        </Form.Item>
      </Form>
      {error !== null && <ProblemAlert error={error} title={t('users.createFailed')} />}
    </Modal>
  );
}

/** Users: list, create, disable or enable, unlock after failed sign-ins. */
export function UsersAdmin() {
  const { t, lang } = useI18n();
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);

  const load = useCallback(async () => {
    try {
      setUsers((await api.users()).users);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const patch = async (user: User, change: { disabled?: boolean; locked?: false }) => {
    setError(null);
    try {
      await api.updateUser(user.id, change);
      await load();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <Space orientation="vertical" className="full-width">
      <Button type="primary" onClick={() => setCreating(true)}>
        {t('users.new')}
      </Button>
      {error !== null && <ProblemAlert error={error} onClose={() => setError(null)} />}
      <Table<User>
        className="users-table"
        size="small"
        rowKey="id"
        loading={users === null}
        dataSource={users ?? []}
        pagination={{ pageSize: 30, hideOnSinglePage: true }}
        aria-label={t('users.title')}
        columns={[
          { title: t('users.username'), dataIndex: 'username' },
          { title: t('users.displayName'), dataIndex: 'displayName' },
          { title: t('users.role'), render: (_, u) => t(`role.${u.role}`) },
          { title: t('users.extension'), render: (_, u) => u.extension ?? '—' },
          {
            title: t('users.status'),
            render: (_, u) => (
              <>
                {u.disabled ? (
                  <Tag color="red">{t('users.disabled')}</Tag>
                ) : (
                  <Tag color="green">{t('users.active')}</Tag>
                )}
                {u.lockedUntil !== null && u.lockedUntil > Date.now() && (
                  <Tag color="orange">
                    {t('users.lockedUntil', { time: formatTime(u.lockedUntil, lang) })}
                  </Tag>
                )}
              </>
            ),
          },
          {
            title: t('users.actions'),
            render: (_, u) => (
              <Space size="small">
                <Button
                  size="small"
                  danger={!u.disabled}
                  onClick={() => void patch(u, { disabled: !u.disabled })}
                >
                  {u.disabled ? t('users.enable') : t('users.disable')}
                </Button>
                {u.lockedUntil !== null && u.lockedUntil > Date.now() && (
                  <Button size="small" onClick={() => void patch(u, { locked: false })}>
                    {t('users.unlock')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <NewUserDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={() => {
          setCreating(false);
          void load();
        }}
      />
    </Space>
  );
}
