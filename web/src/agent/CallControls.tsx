import { Button, Card, Input, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { QueueView } from '../api/types';
import { formatDuration } from '../common/format';
import { ProblemAlert } from '../common/ProblemAlert';
import { useNow } from '../common/useNow';
import { useI18n } from '../i18n/i18n';
import { PhoneStatusLine } from '../softphone/PhoneStatusLine';
import type { PhoneCall, PhoneSnapshot, Softphone } from '../softphone/Softphone';
import { DtmfKeypad } from './DtmfKeypad';
import { TransferDialog, type TransferTarget } from './TransferDialog';

export interface CallControlsProps {
  phone: Softphone | null;
  snapshot: PhoneSnapshot;
  /** The contact the agent holds (accepted), if any. */
  interactionId: string | null;
  queues: QueueView[];
  extension: string | null;
  /** Asks for the password again after a reload (it is kept in memory only). */
  onConnectPhone(password: string): void;
  /** Hang-up ends the contact in the ACD too (wrap-up follows). */
  onEndContact(): Promise<void>;
}

/**
 * The phone: answer, hold, mute, DTMF keypad, transfer (blind or consultative, to an agent, a
 * queue or a number), conference and hang-up. SIP actions go through the Softphone; queue
 * transfer and conference are server-side operations on the contact.
 */
export function CallControls(props: CallControlsProps) {
  const { phone, snapshot, interactionId, queues, extension } = props;
  const { t } = useI18n();
  const now = useNow(1000);
  const [error, setError] = useState<unknown>(null);
  const [dialog, setDialog] = useState<'transfer' | 'conference' | null>(null);
  const [keypad, setKeypad] = useState(false);
  const [password, setPassword] = useState('');
  const [dial, setDial] = useState('');
  const [establishedAt, setEstablishedAt] = useState<number | null>(null);

  const main: PhoneCall | undefined = snapshot.calls.find((c) => !c.consult);
  const consult: PhoneCall | undefined = snapshot.calls.find((c) => c.consult);
  const ringing = snapshot.calls.some((c) => c.state === 'ringing');
  const live = main?.state === 'established';

  useEffect(() => {
    setEstablishedAt(live ? Date.now() : null);
  }, [live]);

  const run = async (action: () => unknown) => {
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    }
  };

  const transfer = async (target: TransferTarget) => {
    if (!phone && target.kind !== 'queue') throw new Error(t('call.noPhone'));
    if (target.kind === 'queue') {
      if (!interactionId) throw new Error(t('call.noContact'));
      await api.transferToQueue(interactionId, target.queueId);
    } else {
      const to = target.kind === 'agent' ? target.extension : target.number;
      if (target.mode === 'blind') await phone?.blindTransfer(to);
      else await phone?.consult(to);
    }
    setDialog(null);
  };

  const conference = async (target: TransferTarget) => {
    if (!interactionId) throw new Error(t('call.noContact'));
    if (target.kind === 'queue') return;
    await api.conference(interactionId, {
      kind: target.kind,
      target: target.kind === 'agent' ? target.extension : target.number,
    });
    setDialog(null);
  };

  const onKeyDown = (event: React.KeyboardEvent) => {
    if (!keypad || !live || !phone) return;
    if (/^[0-9*#]$/.test(event.key)) void run(() => phone.dtmf(event.key));
  };

  return (
    <Card size="small" title={t('call.title')} className="call-controls" onKeyDown={onKeyDown}>
      <PhoneStatusLine snapshot={snapshot} extension={extension} />
      {!phone && extension && (
        <form
          className="phone-connect"
          onSubmit={(event) => {
            event.preventDefault();
            if (password) props.onConnectPhone(password);
            setPassword('');
          }}
        >
          <Space.Compact>
            <Input.Password
              aria-label={t('phone.password')}
              placeholder={t('phone.password')}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete="current-password"
            />
            <Button htmlType="submit">{t('phone.connect')}</Button>
          </Space.Compact>
        </form>
      )}
      {phone && !main && (
        <form
          className="dial"
          onSubmit={(event) => {
            event.preventDefault();
            const target = dial.trim();
            if (target) void run(() => phone.call(target));
          }}
        >
          <Space.Compact>
            <Input
              aria-label={t('call.dialNumber')}
              placeholder={t('call.dialNumber')}
              value={dial}
              onChange={(e) => setDial(e.target.value.replace(/[^\d*#+]/g, ''))}
              inputMode="tel"
              autoComplete="off"
            />
            <Button htmlType="submit" disabled={!dial.trim() || snapshot.status !== 'registered'}>
              {t('call.dial')}
            </Button>
          </Space.Compact>
        </form>
      )}
      {main && (
        <Typography.Paragraph className="call-line" data-testid="call-line" data-state={main.state}>
          {t(`call.state.${main.state}`)} · {main.remote}
          {establishedAt !== null && ` · ${formatDuration(now - establishedAt)}`}
          {main.held && ` · ${t('call.onHold')}`}
          {consult && ` · ${t('call.consulting', { remote: consult.remote })}`}
        </Typography.Paragraph>
      )}
      <Space wrap className="call-buttons">
        <Button type="primary" disabled={!ringing || !phone} onClick={() => void run(() => phone?.answer())}>
          {t('call.answer')}
        </Button>
        <Button
          aria-pressed={main?.held ?? false}
          disabled={!live || !!consult}
          onClick={() => void run(() => phone?.hold(!main?.held))}
        >
          {main?.held ? t('call.resume') : t('call.hold')}
        </Button>
        <Button
          aria-pressed={main?.muted ?? false}
          disabled={!live}
          onClick={() => void run(() => phone?.mute(!main?.muted))}
        >
          {main?.muted ? t('call.unmute') : t('call.mute')}
        </Button>
        <Button
          aria-expanded={keypad}
          aria-controls="dtmf-keypad"
          disabled={!live}
          onClick={() => setKeypad((k) => !k)}
        >
          {t('call.keypad')}
        </Button>
        <Button disabled={!interactionId && !live} onClick={() => setDialog('transfer')}>
          {t('call.transfer')}
        </Button>
        <Button disabled={!interactionId} onClick={() => setDialog('conference')}>
          {t('call.conference')}
        </Button>
        <Button
          danger
          disabled={!main && !interactionId}
          onClick={() =>
            void run(async () => {
              if (main) await phone?.hangUp();
              if (!consult) await props.onEndContact();
            })
          }
        >
          {main ? t('call.hangUp') : t('call.endContact')}
        </Button>
      </Space>
      {consult && (
        <Space className="consult-actions">
          <Button type="primary" onClick={() => void run(() => phone?.completeTransfer())}>
            {t('call.completeTransfer')}
          </Button>
          <Button onClick={() => void run(() => phone?.cancelConsult())}>{t('call.cancelConsult')}</Button>
        </Space>
      )}
      {keypad && live && (
        <div id="dtmf-keypad">
          <DtmfKeypad disabled={!live} onKey={(key) => void run(() => phone?.dtmf(key))} />
        </div>
      )}
      {error !== null && (
        <ProblemAlert error={error} title={t('call.failed')} onClose={() => setError(null)} />
      )}
      <TransferDialog
        open={dialog !== null}
        purpose={dialog ?? 'transfer'}
        queues={queues}
        onCancel={() => setDialog(null)}
        onSubmit={dialog === 'conference' ? conference : transfer}
      />
    </Card>
  );
}
