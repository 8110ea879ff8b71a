import { reportSummary } from './report';

describe('monthly report totals row', () => {
  it('follows the table columns: identifiers written, then resolutions by outcome', () => {
    const report = {
      month: '2026-11', timeZone: 'Asia/Shanghai', from: '', to: '', complete: false, items: [],
      totals: { identifiers: { registered: 1200, updated: 3, deleted: 1 }, resolutions: { l1: 10, l2: 2, db: 5, notFound: 1, error: 0, total: 18 } },
    };
    expect(reportSummary(report, 'en', 'Total')).toEqual(['Total', '1,200', '3', '1', '10', '2', '5', '1', '0', '18']);
    expect(reportSummary(null, 'en', 'Total')).toEqual([]);
  });
});
