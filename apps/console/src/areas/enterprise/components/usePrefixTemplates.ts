import { computed, onMounted, ref, watch } from 'vue';
import { myEnterprise, templatesOf } from '../io/api';
import type { Template } from '../logic/types';

/**
 * The enterprise's active prefixes and the templates of the chosen one: what the form, the upload
 * and the templates page choose from. Picks the first prefix and its newest template by default.
 */
export function usePrefixTemplates(initial: { prefix?: string; version?: string } = {}) {
  const prefixes = ref<string[]>([]);
  const prefix = ref(initial.prefix ?? '');
  const templates = ref<Template[]>([]);
  const version = ref(initial.version ?? '');
  const loading = ref(false);
  const error = ref('');
  const template = computed(() => templates.value.find((t) => t.version === version.value) ?? null);

  async function loadTemplates(keepVersion = false): Promise<void> {
    if (!prefix.value) return;
    loading.value = true;
    try {
      templates.value = await templatesOf(prefix.value);
      if (!keepVersion || !templates.value.some((t) => t.version === version.value)) version.value = templates.value[0]?.version ?? '';
      error.value = '';
    } catch (failure) {
      error.value = (failure as Error).message;
    } finally {
      loading.value = false;
    }
  }

  onMounted(async () => {
    try {
      const enterprise = await myEnterprise();
      prefixes.value = enterprise.prefixes.filter((p) => p.status === 'active').map((p) => p.prefix);
      if (!prefixes.value.includes(prefix.value)) prefix.value = prefixes.value[0] ?? '';
      await loadTemplates(true);
    } catch (failure) {
      error.value = (failure as Error).message;
    }
  });

  watch(prefix, () => void loadTemplates());

  return { prefixes, prefix, templates, version, template, loading, error, loadTemplates };
}
