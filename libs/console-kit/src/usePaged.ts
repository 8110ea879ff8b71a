import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
/** One page of a server-paged listing, as the nodes' APIs send it. */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/**
 * A server-paged table: the current page, its loading state and error, and `load` (also run every
 * `refreshMs` while the page is shown, without a reload of the page).
 */
export function usePaged<T>(fetchPage: (page: number, pageSize: number) => Promise<Page<T>>, options: { pageSize: number; refreshMs?: number }) {
  const { t } = useI18n();
  const items = ref([]) as Ref<T[]>;
  const total = ref(0);
  const page = ref(1);
  const pageSize = ref(options.pageSize);
  const loading = ref(false);
  const error = ref('');
  const loadedAt = ref<Date | null>(null);
  let timer: ReturnType<typeof setInterval> | undefined;
  let latest = 0;

  async function load(): Promise<void> {
    const ticket = ++latest;
    loading.value = true;
    try {
      const reply = await fetchPage(page.value, pageSize.value);
      if (ticket !== latest) return;
      items.value = reply.items;
      total.value = reply.total;
      error.value = '';
      loadedAt.value = new Date();
    } catch (failure) {
      if (ticket === latest) error.value = t('app.loadFailed', { detail: (failure as Error).message });
    } finally {
      if (ticket === latest) loading.value = false;
    }
  }

  onMounted(() => {
    void load();
    if (options.refreshMs) timer = setInterval(() => void load(), options.refreshMs);
  });
  onBeforeUnmount(() => clearInterval(timer));

  return { items, total, page, pageSize, loading, error, loadedAt, load };
}
