import { Button, Space, Table } from 'antd';
import { useState } from 'react';
import { superviseCall } from '../api/client';
import { type CallRecord, type SuperviseMode, superviseModes } from '../api/types';
import { formatDuration } from '../common/format';
import { ProblemAlert } from '../common/ProblemAlert';
import { useNow } from '../common/useNow';
import { useI18n } from '../i18n/i18n';

/**
 * Calls in progress, from the `call.*` events, with silent monitor, whisper (only the agent
 * hears the supervisor) and barge. The supervisor's own phone is the one Teller connects.
 */
export function LiveCalls({ calls }: { calls: CallRecord[] }) {
  const { t } = useI18n();
  const now = useNow(1000);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);

  const supervise = async (call: CallRecord, mode: SuperviseMode) => {
    setError(null);
    setDone(null);
    try {
      await superviseCall(call.id, mode);
      setDone(t('calls.supervising', { mode: t(`calls.${mode}`), caller: call.caller }));
    } catch (e) {
      setError(e);
    }
  };

  return (
    <>
      {error !== null && (
        <ProblemAlert error={error} title={t('calls.superviseFailed')} onClose={() => setError(null)} />
      )}
      {done && <p role="status">{done}</p>}
      <Table<CallRecord>
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={calls}
        locale={{ emptyText: t('calls.none') }}
        aria-label={t('calls.title')}
        columns={[
          { title: t('calls.caller'), dataIndex: 'caller' },
          { title: t('calls.callee'), dataIndex: 'callee' },
          { title: t('calls.route'), dataIndex: 'route' },
          {
            title: t('calls.duration'),
            align: 'right',
            render: (_, c) => formatDuration(now - (c.answeredAt ?? c.startedAt)),
          },
          {
            title: t('calls.supervise'),
            render: (_, c) => (
              <Space size="small">
                {superviseModes.map((mode) => (
                  <Button
                    key={mode}
                    size="small"
                    disabled={c.answeredAt === null}
                    onClick={() => void supervise(c, mode)}
                    aria-label={t('calls.superviseAria', { mode: t(`calls.${mode}`), caller: c.caller })}
                  >
                    {t(`calls.${mode}`)}
                  </Button>
                ))}
              </Space>
            ),
          },
        ]}
      />
    </>
  );
}
