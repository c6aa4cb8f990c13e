import { Button, Form, Input, List, Radio, Tag } from 'antd';
import { useState } from 'react';
import { api } from '../api/client';
import type { CustomerSummary } from '../api/types';
import { ProblemAlert } from '../common/ProblemAlert';
import { useI18n } from '../i18n/i18n';

interface Fields {
  by: 'phone' | 'name' | 'cif';
  value: string;
}

export interface CustomerSearchProps {
  interactionId?: string;
  onSelect(customer: CustomerSummary): void;
}

/** Find the customer by phone, name or customer number when the contact did not say who it is. */
export function CustomerSearch({ interactionId, onSelect }: CustomerSearchProps) {
  const { t, tOr } = useI18n();
  const [results, setResults] = useState<CustomerSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const search = async ({ by, value }: Fields) => {
    setBusy(true);
    setError(null);
    try {
      const { customers } = await api.searchCustomers({ [by]: value.trim() }, interactionId);
      setResults(customers);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-label={t('search.title')} className="customer-search">
      <Form<Fields> layout="inline" initialValues={{ by: 'phone', value: '' }} onFinish={search}>
        <Form.Item name="by">
          <Radio.Group
            aria-label={t('search.by')}
            optionType="button"
            size="small"
            options={[
              { value: 'phone', label: t('search.phone') },
              { value: 'name', label: t('search.name') },
              { value: 'cif', label: t('search.cif') },
            ]}
          />
        </Form.Item>
        <Form.Item name="value" rules={[{ required: true, message: t('search.required') }]}>
          <Input aria-label={t('search.value')} placeholder={t('search.placeholder')} allowClear />
        </Form.Item>
        <Button htmlType="submit" loading={busy}>
          {t('search.submit')}
        </Button>
      </Form>
      {error !== null && <ProblemAlert error={error} title={t('search.failed')} />}
      {results && (
        <List<CustomerSummary>
          size="small"
          className="search-results"
          locale={{ emptyText: t('search.none') }}
          dataSource={results}
          renderItem={(c) => (
            <List.Item
              actions={[
                <Button key="open" size="small" onClick={() => onSelect(c)}>
                  {t('search.open')}
                </Button>,
              ]}
            >
              <List.Item.Meta
                title={`${c.nameZh} ${c.nameLatin}`}
                description={
                  <>
                    <Tag>{tOr(`tier.${c.tier}`, c.tier)}</Tag> {c.cif} · {c.primaryPhone ?? '—'}
                  </>
                }
              />
            </List.Item>
          )}
        />
      )}
    </section>
  );
}
