import type { NewUser, Role, Users } from '../api/index';

/** The demo password of every demo user (web login and SIP digest alike), as DESIGN.md promises. */
export const demoPassword = 'teller-demo';

const agentNames = [
  '王芳 Wang Fang',
  '李强 Li Qiang',
  '刘洋 Liu Yang',
  '陈静 Chen Jing',
  '杨磊 Yang Lei',
  '赵敏 Zhao Min',
  '黄勇 Huang Yong',
  '周婷 Zhou Ting',
  '吴斌 Wu Bin',
  '徐丽 Xu Li',
  '孙涛 Sun Tao',
  '马超 Ma Chao',
  '朱琳 Zhu Lin',
  '胡军 Hu Jun',
  '郭燕 Guo Yan',
  '何平 He Ping',
  '高翔 Gao Xiang',
  '林娜 Lin Na',
  '罗刚 Luo Gang',
  '梁雪 Liang Xue',
];

export interface DemoUser {
  username: string;
  displayName: string;
  role: Role;
  extension: string | null;
}

export const demoUsers: readonly DemoUser[] = [
  ...agentNames.map((name, i) => ({
    username: `agent${String(i + 1).padStart(2, '0')}`,
    displayName: name,
    role: 'agent' as const,
    extension: String(1001 + i),
  })),
  { username: 'super01', displayName: '张敏 Zhang Min (supervisor)', role: 'supervisor', extension: '1100' },
  { username: 'admin', displayName: 'Administrator', role: 'admin', extension: null },
];

/** Creates the demo users that do not exist yet; returns how many it created. */
export async function seedDemoUsers(users: Users): Promise<number> {
  let created = 0;
  for (const demo of demoUsers) {
    if (await users.findByUsername(demo.username)) continue;
    const input: NewUser = { ...demo, password: demoPassword };
    await users.create(input, 'system');
    created++;
  }
  return created;
}
