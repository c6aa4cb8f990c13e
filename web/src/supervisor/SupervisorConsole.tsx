import { Alert, Badge, Card, Col, Row, Typography } from 'antd';
import type { User } from '../api/types';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';
import { AgentBoard } from './AgentBoard';
import { DayCharts } from './DayCharts';
import { LiveCalls } from './LiveCalls';
import { QueueBoard } from './QueueBoard';
import { SupervisorPhone } from './SupervisorPhone';
import { queueAlerts } from './thresholds';
import { useWallboard } from './useWallboard';

/**
 * The floor at a glance: queues against their targets, the day's curves, every agent, live calls.
 * It is the same for supervisors and admins (the server names the agents for both).
 */
export function SupervisorConsole({ user }: { user: User }) {
  const { t } = useI18n();
  const board = useWallboard();
  const alerts = board.queues.flatMap(queueAlerts);
  const queueName = (id: string) => board.queues.find((q) => q.config.id === id)?.config.name ?? id;

  return (
    <div className="supervisor-console stack">
      <div className="console-bar">
        <Typography.Title level={2} className="page-title">
          {t('wallboard.title')}
        </Typography.Title>
        <span className="stream-status">
          <Badge status={board.stream === 'open' ? 'success' : 'warning'} />
          <Typography.Text type="secondary">{t(`stream.${board.stream}`)}</Typography.Text>
        </span>
      </div>
      {board.error !== null && <ProblemAlert error={board.error} title={t('wallboard.loadFailed')} />}
      {alerts.length > 0 && (
        <section aria-label={t('wallboard.alerts')} className="alerts">
          {alerts.map((a) => (
            <Alert
              key={`${a.queueId}-${a.kind}`}
              type={a.severity}
              showIcon
              title={t(`alert.${a.kind}`, { queue: queueName(a.queueId) })}
            />
          ))}
        </section>
      )}
      <Card size="small" title={t('wallboard.queues')}>
        <QueueBoard queues={board.queues} />
      </Card>
      <DayCharts queues={board.queues} samples={board.samples} />
      <Row gutter={[16, 16]}>
        <Col xs={24} xxl={14}>
          <Card size="small" title={t('wallboard.agentsTable')}>
            <AgentBoard
              agents={board.agents}
              stateSince={board.stateSince}
              onChanged={() => void board.reload()}
            />
          </Card>
        </Col>
        <Col xs={24} xxl={10}>
          <SupervisorPhone user={user} />
          <Card size="small" title={t('calls.title')}>
            <LiveCalls calls={board.calls} />
          </Card>
        </Col>
      </Row>
    </div>
  );
}
