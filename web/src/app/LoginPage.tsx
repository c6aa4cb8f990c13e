import { Button, Card, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';
import { LanguageSwitch } from './LanguageSwitch';
import { useSession } from './session';

interface LoginFields {
  username: string;
  password: string;
}

/** Sign-in (POST /api/v1/auth/login): the server sets the HTTP-only session cookie. */
export function LoginPage() {
  const { t } = useI18n();
  const { login } = useSession();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (fields: LoginFields) => {
    setBusy(true);
    setError(null);
    try {
      await login(fields.username.trim(), fields.password);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login-page">
      <Card
        className="login-card"
        title={<Typography.Title level={3}>{t('login.title')}</Typography.Title>}
        extra={<LanguageSwitch />}
      >
        <Typography.Paragraph type="secondary">{t('login.subtitle')}</Typography.Paragraph>
        <Form<LoginFields>
          layout="vertical"
          onFinish={submit}
          requiredMark={false}
          aria-label={t('login.title')}
        >
          <Form.Item
            label={t('login.username')}
            name="username"
            rules={[{ required: true, message: t('login.usernameRequired') }]}
          >
            <Input autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item
            label={t('login.password')}
            name="password"
            rules={[{ required: true, message: t('login.passwordRequired') }]}
          >
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          {error !== null && <ProblemAlert error={error} title={t('login.failed')} />}
          <Button type="primary" htmlType="submit" loading={busy} block className="login-submit">
            {t('login.submit')}
          </Button>
        </Form>
      </Card>
    </main>
  );
}
