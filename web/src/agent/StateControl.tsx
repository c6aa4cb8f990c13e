import { Select, Space, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../api/client';
import type { AgentStatistics } from '../api/types';
import { formatDuration } from '../common/format';
import { useNow } from '../common/useNow';
import { useI18n } from '../i18n/i18n';
import { notReadyReasons } from './reasons';
import { unlockAudio } from './ringer';
import { StateTag } from './StateTag';

export interface StateControlProps {
  stats: AgentStatistics | null;
  stateSince: number | null;
  clockOffset: number;
  act(action: () => Promise<unknown>): Promise<boolean>;
}

type Choice = 'ready' | 'logged-out' | `not-ready:${string}`;

function choiceOf(stats: AgentStatistics): Choice {
  if (stats.state.kind === 'logged-out') return 'logged-out';
  return stats.presence.kind === 'ready' ? 'ready' : `not-ready:${stats.presence.reason}`;
}

/**
 * Ready, not ready with a reason code, or logged out of the ACD (/api/v1/acd/me/…). Choosing
 * ready or not-ready while logged out logs in first. During a contact the choice is the
 * presence that applies once the contact and its wrap-up are over.
 */
export function StateControl({ stats, stateSince, clockOffset, act }: StateControlProps) {
  const { t, tOr } = useI18n();
  const now = useNow(1000, clockOffset);
  const [busy, setBusy] = useState(false);

  const change = async (choice: Choice) => {
    unlockAudio();
    if (!stats) return;
    setBusy(true);
    const loggedOut = stats.state.kind === 'logged-out';
    await act(async () => {
      if (choice === 'logged-out') return api.acdLogout();
      if (loggedOut) await api.acdLogin();
      if (choice === 'ready') return api.ready();
      return api.notReady(choice.slice('not-ready:'.length));
    });
    setBusy(false);
  };

  const current = stats ? choiceOf(stats) : undefined;
  const reasons: string[] = [...notReadyReasons];
  const currentReason = current?.startsWith('not-ready:') ? current.slice('not-ready:'.length) : undefined;
  if (currentReason && !reasons.includes(currentReason)) reasons.push(currentReason);

  return (
    <Space wrap className="state-control">
      <Select<Choice>
        id="agent-state"
        aria-label={t('agent.state.label')}
        className="state-select"
        // Typing filters the choices ("rea" + Enter goes ready): quick from the keyboard.
        showSearch={{ optionFilterProp: 'label' }}
        value={current}
        loading={busy || !stats}
        disabled={!stats || busy}
        onChange={(value) => void change(value)}
        options={[
          { value: 'ready', label: t('agent.state.ready') },
          {
            label: t('agent.state.notReady'),
            title: t('agent.state.notReady'),
            options: reasons.map((reason) => ({
              value: `not-ready:${reason}` as Choice,
              label: `${t('agent.state.notReady')} · ${tOr(`reason.${reason}`, reason)}`,
              disabled: !(notReadyReasons as readonly string[]).includes(reason),
            })),
          },
          { value: 'logged-out', label: t('agent.state.logout') },
        ]}
      />
      {stats && <StateTag state={stats.state} />}
      {stats && (
        <Typography.Text type="secondary" aria-live="off">
          {t('agent.state.since', {
            duration: stateSince === null ? '—' : formatDuration(now - stateSince),
          })}
        </Typography.Text>
      )}
    </Space>
  );
}
