import { Tag } from 'antd';
import type { AgentState, AgentStateKind } from '../api/types';
import { useI18n } from '../i18n/i18n';

export const stateColors: Record<AgentStateKind, string> = {
  'logged-out': 'default',
  'not-ready': 'orange',
  ready: 'green',
  reserved: 'purple',
  busy: 'blue',
  'wrap-up': 'cyan',
};

/** An agent state as a coloured tag, with the not-ready reason when there is one. */
export function StateTag({ state }: { state: AgentState }) {
  const { t, tOr } = useI18n();
  const label = t(`state.${state.kind}`);
  const reason = state.kind === 'not-ready' ? ` · ${tOr(`reason.${state.reason}`, state.reason)}` : '';
  return (
    <Tag color={stateColors[state.kind]} data-state={state.kind}>
      {label}
      {reason}
    </Tag>
  );
}
