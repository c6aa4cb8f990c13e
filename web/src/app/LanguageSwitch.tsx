import { Segmented } from 'antd';
import { type Lang, useI18n } from '../i18n/i18n';

/** 中文 / English; remembered in localStorage by the i18n provider. */
export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <Segmented<Lang>
      aria-label={t('lang.switch')}
      size="small"
      value={lang}
      onChange={setLang}
      options={[
        { value: 'zh-CN', label: '中文' },
        { value: 'en', label: 'English' },
      ]}
    />
  );
}
