import { Select, Switch, Table, Typography } from 'antd';
import { useState } from 'react';
import { StateTag } from '../agent/StateTag';
import { api } from '../api/client';
import type { AgentStatistics } from '../api/types';
import { formatDuration, formatPercent } from '../common/format';
import { ProblemAlert } from '../common/ProblemAlert';
import { useNow } from '../common/useNow';
import { useI18n } from '../i18n/i18n';

export interface AgentBoardProps {
  agents: AgentStatistics[];
  /** When each agent's state began, in this browser's clock. */
  stateSince: Map<string, number>;
  onChanged(): void;
}

const forceChoices = ['ready', 'not-ready', 'logged-out'] as const;
type ForceChoice = (typeof forceChoices)[number];

/** Every agent: state, time in it, handled, average handle time, and the supervisor's override. */
export function AgentBoard({ agents, stateSince, onChanged }: AgentBoardProps) {
  const { t } = useI18n();
  const now = useNow(1000);
  const [showLoggedOut, setShowLoggedOut] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // GET /acd/agents names each agent from the users table.
  const nameOf = (a: AgentStatistics) =>
    a.displayName && a.username ? `${a.displayName} (${a.username})` : a.agentId.slice(0, 8);
  const shown = agents
    .filter((a) => showLoggedOut || a.state.kind !== 'logged-out')
    .sort((a, b) => nameOf(a).localeCompare(nameOf(b)));

  const force = async (agentId: string, state: ForceChoice) => {
    setError(null);
    try {
      await api.forceState(agentId, state, state === 'not-ready' ? 'supervisor' : undefined);
      onChanged();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <>
      <div className="board-toolbar">
        <Switch
          checked={showLoggedOut}
          onChange={setShowLoggedOut}
          aria-label={t('wallboard.showLoggedOut')}
          size="small"
        />{' '}
        <Typography.Text>{t('wallboard.showLoggedOut')}</Typography.Text>
      </div>
      {error !== null && (
        <ProblemAlert error={error} title={t('wallboard.forceFailed')} onClose={() => setError(null)} />
      )}
      <Table<AgentStatistics>
        className="agent-board"
        size="small"
        rowKey="agentId"
        pagination={{ pageSize: 25, hideOnSinglePage: true }}
        dataSource={shown}
        locale={{ emptyText: t('wallboard.noAgents') }}
        aria-label={t('wallboard.agentsTable')}
        columns={[
          {
            title: t('wallboard.agent'),
            render: (_, a) => (
              <span data-agent={a.username ?? a.agentId}>
                {nameOf(a)}
                {a.extension ? <Typography.Text type="secondary"> · {a.extension}</Typography.Text> : null}
              </span>
            ),
          },
          { title: t('wallboard.state'), render: (_, a) => <StateTag state={a.state} /> },
          {
            title: t('wallboard.timeInState'),
            align: 'right',
            render: (_, a) => {
              const since = stateSince.get(a.agentId);
              return since === undefined ? '—' : formatDuration(now - since);
            },
          },
          { title: t('wallboard.handled'), align: 'right', dataIndex: 'handled' },
          { title: t('wallboard.aht'), align: 'right', render: (_, a) => formatDuration(a.ahtMs) },
          { title: t('wallboard.occupancy'), align: 'right', render: (_, a) => formatPercent(a.occupancy) },
          {
            title: t('wallboard.force'),
            render: (_, a) => (
              <Select<ForceChoice>
                size="small"
                className="force-select"
                placeholder={t('wallboard.forcePlaceholder')}
                aria-label={t('wallboard.forceFor', { name: nameOf(a) })}
                value={null}
                onChange={(value) => void force(a.agentId, value)}
                options={forceChoices.map((c) => ({ value: c, label: t(`wallboard.force.${c}`) }))}
              />
            ),
          },
        ]}
      />
    </>
  );
}
