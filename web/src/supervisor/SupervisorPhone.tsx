import { Button, Card, Input, Space, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import type { User } from '../api/types';
import { useSession } from '../app/session';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';
import { PhoneStatusLine } from '../softphone/PhoneStatusLine';
import { useSoftphone } from '../softphone/useSoftphone';

/**
 * The supervisor's own browser phone. Monitor, whisper and barge ring the supervisor's
 * extension with `X-Teller-Supervise`; this phone picks such a ring up by itself (the
 * supervisor asked for it a moment ago on the live calls list), so a supervisor needs no desk
 * phone. Hanging up leaves the call; the call goes on without them.
 */
export function SupervisorPhone({ user }: { user: User }) {
  const { t } = useI18n();
  const session = useSession();
  const [password, setPassword] = useState(session.sipPassword);
  const [typed, setTyped] = useState('');
  const { phone, snapshot } = useSoftphone(user.extension, password);
  const [error, setError] = useState<unknown>(null);
  const answered = useRef(new Set<string>());

  const ringing = snapshot.calls.find(
    (c) => c.state === 'ringing' && c.supervisedCallId !== null && !answered.current.has(c.id),
  );
  useEffect(() => {
    if (!ringing || !phone) return;
    answered.current.add(ringing.id);
    phone.answer(ringing.id).catch((e: unknown) => setError(e));
  }, [ringing, phone]);

  const live = snapshot.calls.find((c) => c.supervisedCallId !== null && c.state === 'established');
  if (!user.extension) return null;
  return (
    <Card size="small" title={t('supervisorPhone.title')} className="supervisor-phone">
      <PhoneStatusLine snapshot={snapshot} extension={user.extension} />
      {!phone && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (!typed) return;
            session.rememberSipPassword(typed);
            setPassword(typed);
            setTyped('');
          }}
        >
          <Space.Compact>
            <Input.Password
              aria-label={t('phone.password')}
              placeholder={t('phone.password')}
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="current-password"
            />
            <Button htmlType="submit">{t('phone.connect')}</Button>
          </Space.Compact>
        </form>
      )}
      {live ? (
        <Space>
          <Typography.Text data-testid="supervising" data-call={live.supervisedCallId ?? ''}>
            {t('supervisorPhone.in', { remote: live.remote })}
          </Typography.Text>
          <Button danger onClick={() => phone?.hangUp().catch((e: unknown) => setError(e))}>
            {t('supervisorPhone.leave')}
          </Button>
        </Space>
      ) : (
        <Typography.Text type="secondary">{t('supervisorPhone.idle')}</Typography.Text>
      )}
      {error !== null && (
        <ProblemAlert error={error} title={t('supervisorPhone.failed')} onClose={() => setError(null)} />
      )}
    </Card>
  );
}
