// Report preview: the same JSON the add-in and scripts get, drawn as KPI cards, tables and Chart.js charts.
(function () {
  const name = location.pathname.split('/').pop();
  const $ = (id) => document.getElementById(id);
  const fmt = (v, format) => {
    if (v === null || v === undefined) return 'n.d.';
    if (format === 'euro') return v.toLocaleString('it-IT', { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 });
    if (format === 'percent') return (v * 100).toLocaleString('it-IT', { maximumFractionDigits: 2 }) + '%';
    return v.toLocaleString('it-IT', { maximumFractionDigits: 2 });
  };
  const label = (l) => (l ? l.it : '');
  const auth = (secret) => (secret.startsWith('pas_') ? { 'x-api-key': secret } : { authorization: 'Bearer ' + secret });

  async function show(secret, territorio) {
    $('error').textContent = '';
    const res = await fetch('/v1/reports/' + encodeURIComponent(name), {
      method: 'POST',
      headers: Object.assign({ 'content-type': 'application/json' }, auth(secret)),
      body: JSON.stringify(territorio ? { territorio } : {}),
    });
    const body = await res.json();
    if (!res.ok) { $('error').textContent = body.detail || res.statusText; return; }
    sessionStorage.setItem('pas.token', secret);
    render(body);
  }

  function render(r) {
    $('title').textContent = label(r.label);
    $('meta').textContent = [r.territory ? r.territory.name + ' (' + r.territory.code + ')' : 'Italia', ...r.filters, 'dati al ' + r.dataDate.slice(0, 10), r.demo ? 'dati dimostrativi generati, non reali' : ''].filter(Boolean).join(' · ');
    $('kpis').replaceChildren(...r.kpis.map((k) => {
      const d = document.createElement('div');
      d.className = 'kpi';
      d.title = k.definition || '';
      d.innerHTML = '<div class="v"></div><div class="l"></div>';
      d.querySelector('.v').textContent = k.suppressed ? 'n.d.' : fmt(k.value, k.format);
      d.querySelector('.l').textContent = label(k.label);
      return d;
    }));
    $('tables').replaceChildren(...r.tables.map(renderTable));
  }

  function renderTable(t) {
    const section = document.createElement('section');
    section.className = 'table';
    const h = document.createElement('h2');
    h.textContent = label(t.title);
    section.append(h);
    for (const s of t.series) {
      const res = s.result;
      const dims = res.columns.filter((c) => c.kind === 'dimension');
      const measures = res.columns.filter((c) => c.kind === 'measure');
      const row = document.createElement('div');
      row.className = 'row';
      const table = document.createElement('table');
      const head = table.createTHead().insertRow();
      if (t.series.length > 1) { const cap = table.createCaption(); cap.textContent = s.label; }
      for (const c of [...dims, ...measures]) { const th = document.createElement('th'); th.textContent = label(c.label); head.append(th); }
      const body = table.createTBody();
      for (const r of res.rows) {
        const tr = body.insertRow();
        if (r.rollup) tr.className = 'total';
        for (const d of dims) tr.insertCell().textContent = r[d.name] === null ? 'Totale' : label((res.labels[d.name] || {})[String(r[d.name])]) || r[d.name];
        for (const m of measures) { const td = tr.insertCell(); td.textContent = r.suppressed ? 'n.d.' : fmt(r[m.name], m.format); if (r.suppressed) td.className = 'nd'; }
      }
      row.append(table);
      const detail = res.rows.filter((r) => !r.rollup && !r.suppressed);
      if (t.chart !== 'none' && dims.length && detail.length > 1 && window.Chart) {
        const canvas = document.createElement('canvas');
        canvas.height = 220;
        row.append(canvas);
        const m = measures[0];
        const d = dims[0];
        new Chart(canvas, {
          type: t.chart === 'pie' ? 'pie' : t.chart === 'line' ? 'line' : 'bar',
          data: { labels: detail.map((r) => label((res.labels[d.name] || {})[String(r[d.name])]) || String(r[d.name])), datasets: [{ label: label(m.label), data: detail.map((r) => r[m.name]), backgroundColor: t.chart === 'pie' ? ['#0054a6', '#4f8fd1', '#9cc3ec', '#d1e4f7', '#f4b400', '#db4437', '#0f9d58'] : '#0054a6', borderColor: '#0054a6' }] },
          options: { animation: false, aspectRatio: t.chart === 'pie' ? 2 : 1.6, plugins: { legend: { display: t.chart === 'pie', position: 'right' } } },
        });
      }
      section.append(row);
    }
    return section;
  }

  $('auth').addEventListener('submit', (e) => { e.preventDefault(); show($('token').value.trim(), $('territorio').value.trim()); });
  const params = new URLSearchParams(location.search);
  const saved = sessionStorage.getItem('pas.token');
  if (saved) show(saved, params.get('territorio'));
})();
