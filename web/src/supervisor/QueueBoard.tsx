import { Table, Tag } from 'antd';
import type { QueueView } from '../api/types';
import { formatDuration, formatPercent } from '../common/format';
import { useI18n } from '../i18n/i18n';
import { belowServiceLevel, queueAlerts } from './thresholds';

/** One row per queue: waiting, longest wait, service level against target, ASA, abandons, agents by state. */
export function QueueBoard({ queues }: { queues: QueueView[] }) {
  const { t } = useI18n();
  return (
    <Table<QueueView>
      className="queue-board"
      size="small"
      rowKey={(q) => q.config.id}
      pagination={false}
      dataSource={queues}
      rowClassName={(q) => (queueAlerts(q).some((a) => a.severity === 'error') ? 'alert-row' : '')}
      onRow={(q) =>
        ({
          'data-queue': q.config.id,
          'data-waiting': q.statistics.waiting,
          'data-answered': q.statistics.answered,
        }) as React.HTMLAttributes<HTMLElement>
      }
      aria-label={t('wallboard.queues')}
      columns={[
        { title: t('wallboard.queue'), render: (_, q) => <strong>{q.config.name ?? q.config.id}</strong> },
        {
          title: t('wallboard.waiting'),
          align: 'right',
          render: (_, q) => <span className="big-number">{q.statistics.waiting}</span>,
        },
        {
          title: t('wallboard.longestWait'),
          align: 'right',
          render: (_, q) => (
            <span
              className={
                q.statistics.waiting > 0 && q.statistics.longestWaitMs > q.config.serviceLevel.withinMs
                  ? 'warn'
                  : ''
              }
            >
              {formatDuration(q.statistics.longestWaitMs)}
            </span>
          ),
        },
        {
          title: t('wallboard.serviceLevel'),
          align: 'right',
          render: (_, q) => {
            const below = belowServiceLevel(q);
            return (
              <span className={below ? 'below-target' : ''} data-below-target={below}>
                {formatPercent(q.statistics.serviceLevel)}
                <span className="target">
                  {' '}
                  / {q.config.serviceLevel.percent}%{' '}
                  {t('wallboard.within', { seconds: Math.round(q.config.serviceLevel.withinMs / 1000) })}
                </span>
                {below && <span className="visually-hidden"> {t('wallboard.belowTarget')}</span>}
              </span>
            );
          },
        },
        { title: t('wallboard.asa'), align: 'right', render: (_, q) => formatDuration(q.statistics.asaMs) },
        { title: t('wallboard.aht'), align: 'right', render: (_, q) => formatDuration(q.statistics.ahtMs) },
        {
          title: t('wallboard.abandonRate'),
          align: 'right',
          render: (_, q) => formatPercent(q.statistics.abandonRate),
        },
        {
          title: t('wallboard.handled'),
          align: 'right',
          render: (_, q) => `${q.statistics.answered} / ${q.statistics.offered}`,
        },
        {
          title: t('wallboard.agents'),
          render: (_, q) => (
            <span className="agents-by-state">
              <Tag color="green">
                {t('state.ready')} {q.statistics.agents.ready}
              </Tag>
              <Tag color="blue">
                {t('state.busy')} {q.statistics.agents.busy + q.statistics.agents.reserved}
              </Tag>
              <Tag color="cyan">
                {t('state.wrap-up')} {q.statistics.agents['wrap-up']}
              </Tag>
              <Tag color="orange">
                {t('state.not-ready')} {q.statistics.agents['not-ready']}
              </Tag>
            </span>
          ),
        },
      ]}
    />
  );
}
