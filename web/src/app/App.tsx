import { Button, ConfigProvider, Layout, Menu, Spin, Typography } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, Suspense, useEffect } from 'react';
import type { Role } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { LanguageSwitch } from './LanguageSwitch';
import { LoginPage } from './LoginPage';
import { navigate, type Page, usePage } from './route';
import { useSession } from './session';

const AgentDesktop = lazy(() => import('../agent/AgentDesktop').then((m) => ({ default: m.AgentDesktop })));
const SupervisorConsole = lazy(() =>
  import('../supervisor/SupervisorConsole').then((m) => ({ default: m.SupervisorConsole })),
);
const AdminScreens = lazy(() => import('../admin/AdminScreens').then((m) => ({ default: m.AdminScreens })));

/** The screens each role may open, the first being where they land. */
const pagesOf: Record<Role, Page[]> = {
  agent: ['agent'],
  supervisor: ['supervisor', 'agent'],
  admin: ['admin', 'supervisor'],
};

function Shell() {
  const { t } = useI18n();
  const { user, logout } = useSession();
  const page = usePage();
  const allowed = user ? pagesOf[user.role] : [];
  const active = page && allowed.includes(page) ? page : allowed[0];

  useEffect(() => {
    if (active && page !== active) history.replaceState(null, '', `/${active}`);
  }, [active, page]);

  if (!user || !active) return null;
  const titles: Record<Page, string> = {
    agent: t('nav.agent'),
    supervisor: t('nav.supervisor'),
    admin: t('nav.admin'),
  };
  return (
    <Layout className="app">
      <Layout.Header className="app-header">
        <a className="skip-link" href="#main">
          {t('nav.skip')}
        </a>
        <span className="brand" aria-hidden="true">
          Teller
        </span>
        <nav aria-label={t('nav.label')} className="app-nav">
          <Menu
            mode="horizontal"
            theme="dark"
            selectedKeys={[active]}
            items={allowed.map((p) => ({ key: p, label: titles[p] }))}
            onClick={({ key }) => navigate(key as Page)}
          />
        </nav>
        <div className="header-right">
          <LanguageSwitch />
          <Typography.Text className="user-name">
            {user.displayName} · {t(`role.${user.role}`)}
          </Typography.Text>
          <Button size="small" onClick={() => void logout()}>
            {t('nav.logout')}
          </Button>
        </div>
      </Layout.Header>
      <Layout.Content id="main" className="app-main" tabIndex={-1}>
        <h1 className="visually-hidden">{titles[active]}</h1>
        <Suspense fallback={<Spin aria-label={t('common.loading')} />}>
          {active === 'agent' && <AgentDesktop user={user} />}
          {active === 'supervisor' && <SupervisorConsole user={user} />}
          {active === 'admin' && <AdminScreens user={user} />}
        </Suspense>
      </Layout.Content>
    </Layout>
  );
}

export function App() {
  const { lang } = useI18n();
  const { user, loading } = useSession();
  return (
    <ConfigProvider locale={lang === 'zh-CN' ? zhCN : enUS} theme={{ token: { colorPrimary: '#1d4ed8' } }}>
      {loading ? <Spin className="boot-spin" /> : user ? <Shell /> : <LoginPage />}
    </ConfigProvider>
  );
}
