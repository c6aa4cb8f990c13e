import { Card, Statistic } from 'antd';
import type { AgentStatistics } from '../api/types';
import { formatDuration, formatPercent } from '../common/format';
import { useI18n } from '../i18n/i18n';

/** My day so far, from the ACD's own counters (GET /api/v1/acd/me). */
export function MyStats({ stats }: { stats: AgentStatistics | null }) {
  const { t } = useI18n();
  if (!stats) return null;
  const items: [string, string | number][] = [
    [t('stats.handled'), stats.handled],
    [t('stats.offered'), stats.offered],
    [t('stats.noAnswer'), stats.noAnswer],
    [t('stats.aht'), formatDuration(stats.ahtMs)],
    [t('stats.occupancy'), formatPercent(stats.occupancy)],
    [t('stats.ready'), formatDuration(stats.timeInStateMs.ready)],
    [t('stats.busy'), formatDuration(stats.timeInStateMs.busy + stats.timeInStateMs.reserved)],
    [t('stats.wrapUp'), formatDuration(stats.timeInStateMs['wrap-up'])],
    [t('stats.notReady'), formatDuration(stats.timeInStateMs['not-ready'])],
  ];
  return (
    <Card size="small" title={t('stats.title')} className="my-stats">
      <div className="stats-grid">
        {items.map(([label, value]) => (
          <Statistic key={label} title={label} value={value} />
        ))}
      </div>
    </Card>
  );
}
