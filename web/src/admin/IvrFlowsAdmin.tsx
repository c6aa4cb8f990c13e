import { Alert, Button, Card, Input, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { ApiProblem, api } from '../api/client';
import type {
  IvrFlowActivation,
  IvrFlowDetail,
  IvrFlowSummary,
  IvrFlowVersion,
  IvrValidation,
} from '../api/types';
import { formatTime } from '../common/format';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';

function FlowDetail({ flowId, onChanged }: { flowId: string; onChanged(): void }) {
  const { t, lang } = useI18n();
  const [detail, setDetail] = useState<IvrFlowDetail | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setDetail(await api.ivrFlow(flowId));
    } catch (e) {
      setError(e);
    }
  }, [flowId]);
  useEffect(() => void load(), [load]);

  const run = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
      await load();
      onChanged();
    } catch (e) {
      setError(e);
    }
  };

  if (!detail) return error ? <ProblemAlert error={error} /> : null;
  return (
    <Card
      size="small"
      title={t('ivr.flowTitle', { flow: `${detail.name} (${detail.flowId})` })}
      extra={
        <Button
          disabled={detail.activations.length < 2}
          onClick={() => void run(() => api.rollbackIvrFlow(flowId))}
        >
          {t('ivr.rollback')}
        </Button>
      }
    >
      {error !== null && <ProblemAlert error={error} onClose={() => setError(null)} />}
      <Table<IvrFlowVersion>
        size="small"
        rowKey="version"
        pagination={false}
        dataSource={[...detail.versions].reverse()}
        aria-label={t('ivr.versions')}
        columns={[
          { title: t('ivr.version'), dataIndex: 'version' },
          { title: t('ivr.name'), dataIndex: 'name' },
          { title: t('ivr.savedAt'), render: (_, v) => formatTime(v.savedAt, lang) },
          { title: t('ivr.savedBy'), dataIndex: 'savedBy' },
          {
            title: t('ivr.status'),
            render: (_, v) =>
              v.live ? (
                <Tag color="green">{t('ivr.live')}</Tag>
              ) : (
                <Button size="small" onClick={() => void run(() => api.activateIvrFlow(flowId, v.version))}>
                  {t('ivr.activate')}
                </Button>
              ),
          },
        ]}
      />
      <Typography.Title level={5}>{t('ivr.activations')}</Typography.Title>
      <Table<IvrFlowActivation>
        size="small"
        rowKey={(a) => `${a.at}-${a.version}-${a.action}`}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        dataSource={[...detail.activations].reverse()}
        columns={[
          { title: t('ivr.when'), render: (_, a) => formatTime(a.at, lang) },
          { title: t('ivr.action'), render: (_, a) => a.action },
          { title: t('ivr.version'), dataIndex: 'version' },
          { title: t('ivr.by'), dataIndex: 'by' },
        ]}
      />
    </Card>
  );
}

function UploadFlow({ onUploaded }: { onUploaded(flowId: string): void }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [result, setResult] = useState<IvrValidation | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const parsed = (): unknown => {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new ApiProblem({
        type: 'about:blank',
        title: 'Bad JSON',
        status: 0,
        code: 'WEB_FLOW_NOT_JSON',
        detail: t('ivr.notJson', { error: e instanceof Error ? e.message : String(e) }),
      });
    }
  };

  const run = async (action: () => Promise<void>) => {
    setError(null);
    setResult(null);
    setSaved(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <Card size="small" title={t('ivr.upload')}>
      <Space orientation="vertical" className="full-width">
        <input
          type="file"
          accept="application/json,.json"
          aria-label={t('ivr.file')}
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file) void file.text().then(setText);
          }}
        />
        <Input.TextArea
          aria-label={t('ivr.document')}
          placeholder={t('ivr.document')}
          rows={10}
          value={text}
          onChange={(e) => setText(e.target.value)}
          className="code-area"
        />
        <Space>
          <Button
            disabled={!text}
            onClick={() => void run(async () => setResult(await api.validateIvrFlow(parsed())))}
          >
            {t('ivr.validate')}
          </Button>
          <Button
            type="primary"
            disabled={!text}
            onClick={() =>
              void run(async () => {
                const s = await api.uploadIvrFlow(parsed());
                setSaved(
                  s.created
                    ? t('ivr.saved', { version: s.version })
                    : t('ivr.unchanged', { version: s.version }),
                );
                onUploaded(s.flowId);
              })
            }
          >
            {t('ivr.uploadButton')}
          </Button>
        </Space>
        {result && (
          <Alert
            type={result.warnings.length > 0 ? 'warning' : 'success'}
            showIcon
            title={t('ivr.valid', { flow: result.flowId })}
            description={
              result.warnings.length > 0 ? (
                <ul>
                  {result.warnings.map((w) => (
                    <li key={w}>{w}</li>
                  ))}
                </ul>
              ) : null
            }
          />
        )}
        {saved && <Alert type="success" showIcon title={saved} />}
        {error !== null && <ProblemAlert error={error} title={t('ivr.invalid')} />}
      </Space>
    </Card>
  );
}

/** IVR flows: the versions of each, which is live, upload and validate, activate, roll back. */
export function IvrFlowsAdmin() {
  const { t } = useI18n();
  const [flows, setFlows] = useState<IvrFlowSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setFlows((await api.ivrFlows()).flows);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => void load(), [load]);

  if (error instanceof ApiProblem && error.missingRoute) {
    return (
      <Alert type="warning" showIcon title={t('ivr.unavailable')} description={<code>{error.detail}</code>} />
    );
  }
  return (
    <Space orientation="vertical" size="middle" className="full-width">
      {error !== null && <ProblemAlert error={error} />}
      <Table<IvrFlowSummary>
        size="small"
        rowKey="flowId"
        loading={flows === null && error === null}
        dataSource={flows ?? []}
        pagination={false}
        aria-label={t('ivr.title')}
        columns={[
          { title: t('ivr.flow'), render: (_, f) => <code>{f.flowId}</code> },
          { title: t('ivr.name'), dataIndex: 'name' },
          { title: t('ivr.latest'), dataIndex: 'latest' },
          { title: t('ivr.active'), render: (_, f) => f.active ?? '—' },
          {
            title: t('users.actions'),
            render: (_, f) => (
              <Button size="small" aria-pressed={selected === f.flowId} onClick={() => setSelected(f.flowId)}>
                {t('ivr.open')}
              </Button>
            ),
          },
        ]}
      />
      {selected && <FlowDetail key={selected} flowId={selected} onChanged={() => void load()} />}
      <UploadFlow
        onUploaded={(flowId) => {
          setSelected(flowId);
          void load();
        }}
      />
    </Space>
  );
}
