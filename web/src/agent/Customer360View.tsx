import { Alert, Card, Descriptions, Space, Table, Tabs, Tag, Timeline, Typography } from 'antd';
import { startTransition, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Account, Customer360, CustomerProfile } from '../api/types';
import { formatMoney, formatTime, isNegative } from '../common/format';
import { useI18n } from '../i18n/i18n';
import { BankingPanel } from './BankingPanel';
import { CasesPanel } from './CasesPanel';
import { NotesPanel } from './NotesPanel';
import type { ContactVerification } from './verification';

const tierColor: Record<string, string> = { private: 'gold', affluent: 'blue', mass: 'default' };

export interface Customer360ViewProps {
  view: Customer360;
  interactionId: string | null;
  verification: ContactVerification;
  callerNumber: string | null;
  onVerified(verification: ContactVerification): void;
  onChanged(): void;
  /**
   * Called once the header with the customer's name and tier is laid out, before the tabs below
   * it are rendered (the end of the screen-pop measure).
   */
  onHeaderLaidOut?(profile: CustomerProfile): void;
}

function AccountsTable({ accounts }: { accounts: Account[] }) {
  const { t, tOr } = useI18n();
  return (
    <Table<Account>
      size="small"
      rowKey="id"
      pagination={false}
      dataSource={accounts}
      aria-label={t('c360.accounts')}
      columns={[
        { title: t('c360.account'), render: (_, a) => `${a.name} · ${a.number}` },
        { title: t('c360.kind'), render: (_, a) => tOr(`account.${a.kind}`, a.kind) },
        {
          title: t('c360.balance'),
          align: 'right',
          render: (_, a) => (
            <span className={isNegative(a.balance) ? 'money negative' : 'money'}>
              {formatMoney(a.balance)}
            </span>
          ),
        },
        {
          title: t('c360.available'),
          align: 'right',
          render: (_, a) => <span className="money">{formatMoney(a.available)}</span>,
        },
        { title: t('c360.status'), render: (_, a) => tOr(`accountStatus.${a.status}`, a.status) },
      ]}
    />
  );
}

/**
 * The 360° view: who, tier, products and balances, every recent contact, open cases, the
 * next-best offer. The header (who, tier) comes first on its own; the rest, whose antd tables
 * and panels take most of the render, follows in a transition right after it, so the agent sees
 * who is calling without waiting for them.
 */
export function Customer360View(props: Customer360ViewProps) {
  const { view, onHeaderLaidOut } = props;
  const { t, tOr } = useI18n();
  const { profile } = view;
  const best = view.offers[0];
  const header = useRef<HTMLDivElement>(null);
  const [bodyShown, setBodyShown] = useState(false);

  useLayoutEffect(() => {
    // Reading the header's box makes the browser lay it out now, so the screen-pop mark is
    // taken with the name and tier really placed in the page, not merely in the DOM.
    if (!header.current || !onHeaderLaidOut) return;
    header.current.getBoundingClientRect();
    onHeaderLaidOut(profile);
  }, [profile, onHeaderLaidOut]);

  useEffect(() => {
    startTransition(() => setBodyShown(true));
  }, []);

  return (
    <Space orientation="vertical" className="c360" size="middle">
      <div className="c360-header" ref={header}>
        <Typography.Title level={3} className="customer-name" data-testid="customer-name">
          {profile.nameZh} <span className="latin">{profile.nameLatin}</span>
        </Typography.Title>
        <Tag color={tierColor[profile.tier] ?? 'default'} data-testid="customer-tier">
          {tOr(`tier.${profile.tier}`, profile.tier)}
        </Tag>
        <Typography.Text type="secondary">
          {t('c360.cif')} {profile.cif} · {profile.phones.map((p) => p.number).join(', ')}
        </Typography.Text>
        {profile.doNotCall && <Tag color="red">{t('c360.doNotCall')}</Tag>}
        {profile.tags.map((tag) => (
          <Tag key={tag}>{tag}</Tag>
        ))}
      </div>
      {bodyShown && best && (
        <Alert
          type="success"
          showIcon
          className="next-best-offer"
          title={t('c360.nextBestOffer', { name: best.name })}
          description={best.pitch}
        />
      )}
      {bodyShown && view.pin.locked && <Alert type="warning" showIcon title={t('c360.pinLocked')} />}
      {bodyShown && <Customer360Tabs {...props} />}
    </Space>
  );
}

/** Below the header: overview, activity, cases, notes and banking. */
function Customer360Tabs({
  view,
  interactionId,
  verification,
  callerNumber,
  onVerified,
  onChanged,
}: Customer360ViewProps) {
  const { t, tOr, lang } = useI18n();
  const { profile } = view;
  return (
    <Tabs
      items={[
        {
          key: 'overview',
          label: t('c360.overview'),
          children: (
            <Space orientation="vertical" size="middle" className="full-width">
              <Descriptions
                size="small"
                column={2}
                items={[
                  {
                    key: 'products',
                    label: t('c360.products'),
                    children: view.products.map((p) => <Tag key={p}>{tOr(`product.${p}`, p)}</Tag>),
                  },
                  { key: 'language', label: t('c360.language'), children: profile.language },
                  {
                    key: 'last',
                    label: t('c360.lastContact'),
                    children: profile.lastContactAt ? formatTime(profile.lastContactAt, lang) : '—',
                  },
                  {
                    key: 'cards',
                    label: t('c360.cards'),
                    children:
                      view.cards
                        .map(
                          (c) =>
                            `${tOr(`card.${c.kind}`, c.kind)} ${c.maskedNumber} (${tOr(`cardStatus.${c.status}`, c.status)})`,
                        )
                        .join(' · ') || '—',
                  },
                ]}
              />
              <AccountsTable accounts={view.accounts} />
              {view.offers.length > 1 && (
                <Card size="small" title={t('c360.otherOffers')}>
                  <ul className="offers">
                    {view.offers.slice(1).map((o) => (
                      <li key={o.id}>
                        <strong>{o.name}</strong> — {o.pitch}
                      </li>
                    ))}
                  </ul>
                </Card>
              )}
            </Space>
          ),
        },
        {
          key: 'activity',
          label: t('c360.activity', { count: view.timeline.length }),
          children: (
            <Timeline
              items={view.timeline.map((entry) => ({
                key: entry.id,
                content: (
                  <>
                    <Typography.Text strong>{tOr(`channel.${entry.channel}`, entry.channel)}</Typography.Text>{' '}
                    <Typography.Text type="secondary">
                      {t(`direction.${entry.direction}`)} · {formatTime(entry.at, lang)}
                    </Typography.Text>
                    <div>
                      {entry.summary}
                      {entry.outcome ? ` — ${tOr(`wrapup.${entry.outcome}`, entry.outcome)}` : ''}
                    </div>
                  </>
                ),
              }))}
            />
          ),
        },
        {
          key: 'cases',
          label: t('c360.cases', { count: view.openCases.length }),
          children: (
            <CasesPanel
              customerId={profile.id}
              cases={view.openCases}
              interactionId={interactionId}
              onChanged={onChanged}
            />
          ),
        },
        {
          key: 'notes',
          label: t('c360.notes', { count: view.notes.length }),
          children: (
            <NotesPanel
              customerId={profile.id}
              notes={view.notes}
              interactionId={interactionId}
              onChanged={onChanged}
            />
          ),
        },
        {
          key: 'banking',
          label: t('c360.banking'),
          children: (
            <BankingPanel
              customerId={profile.id}
              accounts={view.accounts}
              interactionId={interactionId}
              verification={verification}
              callerNumber={callerNumber}
              onVerified={onVerified}
              onDone={onChanged}
            />
          ),
        },
      ]}
    />
  );
}
