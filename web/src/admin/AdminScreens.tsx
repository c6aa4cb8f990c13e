import { Tabs } from 'antd';
import type { User } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { IvrFlowsAdmin } from './IvrFlowsAdmin';
import { QueuesAdmin } from './QueuesAdmin';
import { SkillsAdmin } from './SkillsAdmin';
import { UsersAdmin } from './UsersAdmin';

/** Administration: users, queues, agents' skills, IVR flows. */
export function AdminScreens(_props: { user: User }) {
  const { t } = useI18n();
  return (
    <Tabs
      className="admin-screens"
      items={[
        { key: 'users', label: t('admin.users'), children: <UsersAdmin /> },
        { key: 'queues', label: t('admin.queues'), children: <QueuesAdmin /> },
        { key: 'skills', label: t('admin.skills'), children: <SkillsAdmin /> },
        { key: 'ivr', label: t('admin.ivr'), children: <IvrFlowsAdmin /> },
      ]}
    />
  );
}
