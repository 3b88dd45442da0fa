/**
 * Where the pane keeps the user's credentials: Office's own per-user storage
 * (OfficeRuntime.storage) when the host offers it, else the pane's
 * localStorage (also per user and per add-in origin). Never the workbook.
 */
declare const OfficeRuntime: { storage?: { getItem(k: string): Promise<string | null>; setItem(k: string, v: string): Promise<void>; removeItem(k: string): Promise<void> } } | undefined;

const office = () => (typeof OfficeRuntime !== 'undefined' ? OfficeRuntime.storage : undefined);

export const userStorage = {
  async get(key: string): Promise<string | null> {
    return (await office()?.getItem(key)) ?? localStorage.getItem(key);
  },
  async set(key: string, value: string): Promise<void> {
    const s = office();
    if (s) await s.setItem(key, value);
    else localStorage.setItem(key, value);
  },
  async remove(key: string): Promise<void> {
    await office()?.removeItem(key);
    localStorage.removeItem(key);
  },
};
