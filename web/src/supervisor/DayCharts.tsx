import { Card, Col, Empty, Row } from 'antd';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { QueueView } from '../api/types';
import { formatClock } from '../common/format';
import { useI18n } from '../i18n/i18n';
import type { Sample } from './useWallboard';

const palette = ['#1d4ed8', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2'];

/** Samples of every queue on one time axis (minute buckets), one column per queue. */
function pivot(samples: Sample[], pick: (s: Sample) => number | null): Record<string, number | null>[] {
  const rows = new Map<number, Record<string, number | null>>();
  for (const s of samples) {
    const minute = Math.floor(s.at / 60_000) * 60_000;
    const row = rows.get(minute) ?? { at: minute };
    row[s.queueId] = pick(s);
    rows.set(minute, row);
  }
  return [...rows.values()].sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
}

export interface DayChartsProps {
  queues: QueueView[];
  samples: Sample[];
}

/** The day so far: service level and waiting contacts over time, and each queue's outcomes. */
export function DayCharts({ queues, samples }: DayChartsProps) {
  const { t } = useI18n();
  const ids = queues.map((q) => q.config.id);
  const name = (id: string) => queues.find((q) => q.config.id === id)?.config.name ?? id;
  const sl = pivot(samples, (s) => (s.serviceLevel === null ? null : Math.round(s.serviceLevel * 1000) / 10));
  const waiting = pivot(samples, (s) => s.waiting);
  const outcomes = queues.map((q) => ({
    queue: q.config.name ?? q.config.id,
    offered: q.statistics.offered,
    answered: q.statistics.answered,
    abandoned: q.statistics.abandoned,
  }));
  const time = (value: number) => formatClock(value).slice(0, 5);
  const lines = (key: string) =>
    ids.map((id, index) => (
      <Line
        key={`${key}-${id}`}
        type="monotone"
        dataKey={id}
        name={name(id)}
        stroke={palette[index % palette.length]}
        dot={false}
        connectNulls
        isAnimationActive={false}
      />
    ));

  return (
    <Row gutter={[16, 16]} className="day-charts">
      <Col xs={24} xl={8}>
        <Card size="small" title={t('charts.serviceLevel')}>
          {sl.length === 0 ? (
            <Empty description={t('charts.noData')} />
          ) : (
            <figure aria-label={t('charts.serviceLevel')} className="chart">
              <ResponsiveContainer width="100%" height={220}>
                <LineChart data={sl}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis
                    dataKey="at"
                    tickFormatter={time}
                    type="number"
                    domain={['dataMin', 'dataMax']}
                    scale="time"
                  />
                  <YAxis domain={[0, 100]} unit="%" />
                  <Tooltip labelFormatter={(v) => formatClock(Number(v))} />
                  <Legend />
                  {lines('sl')}
                </LineChart>
              </ResponsiveContainer>
            </figure>
          )}
        </Card>
      </Col>
      <Col xs={24} xl={8}>
        <Card size="small" title={t('charts.waiting')}>
          {waiting.length === 0 ? (
            <Empty description={t('charts.noData')} />
          ) : (
            <figure aria-label={t('charts.waiting')} className="chart">
              <ResponsiveContainer width="100%" height={220}>
                <LineChart data={waiting}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis
                    dataKey="at"
                    tickFormatter={time}
                    type="number"
                    domain={['dataMin', 'dataMax']}
                    scale="time"
                  />
                  <YAxis allowDecimals={false} />
                  <Tooltip labelFormatter={(v) => formatClock(Number(v))} />
                  <Legend />
                  {lines('waiting')}
                </LineChart>
              </ResponsiveContainer>
            </figure>
          )}
        </Card>
      </Col>
      <Col xs={24} xl={8}>
        <Card size="small" title={t('charts.outcomes')}>
          <figure aria-label={t('charts.outcomes')} className="chart">
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={outcomes}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis
                  dataKey="queue"
                  interval={0}
                  angle={-20}
                  textAnchor="end"
                  height={56}
                  tick={{ fontSize: 11 }}
                />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Legend />
                <Bar dataKey="offered" name={t('charts.offered')} fill="#94a3b8" isAnimationActive={false} />
                <Bar
                  dataKey="answered"
                  name={t('charts.answered')}
                  fill="#16a34a"
                  isAnimationActive={false}
                />
                <Bar
                  dataKey="abandoned"
                  name={t('charts.abandoned')}
                  fill="#dc2626"
                  isAnimationActive={false}
                />
              </BarChart>
            </ResponsiveContainer>
          </figure>
        </Card>
      </Col>
    </Row>
  );
}
