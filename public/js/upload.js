/*
 * The CSV upload with progress. Without this file the form posts and the browser downloads the
 * answer; with it the upload shows how far it got, the download starts from the same page, and
 * what the server said about the file (how it was read, cells changed, refusals with their line)
 * stays on the page.
 */
'use strict';

(function upload() {
  const form = document.querySelector('form.csv-form');
  if (!form || !window.XMLHttpRequest || !window.URL || !URL.createObjectURL) return;
  const input = form.querySelector('input[type="file"]');
  const progressBox = form.querySelector('.upload-progress');
  const progress = form.querySelector('progress');
  const status = form.querySelector('.upload-status');
  const button = form.querySelector('button[type="submit"]');
  const maxBytes = Number(form.getAttribute('data-max-bytes'));
  const limits = document.getElementById('csv-limits');
  const limitsText = limits ? limits.textContent.trim() : '';

  function megabytes(bytes) {
    return `${(bytes / 1048576).toLocaleString('en-US', { maximumFractionDigits: 1 })} MB`;
  }

  function show(kind, lines) {
    status.hidden = false;
    status.className = `upload-status${kind === 'info' ? '' : ` is-${kind}`}`;
    status.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    status.replaceChildren(
      ...lines.map((line) => {
        const p = document.createElement('p');
        p.textContent = line;
        return p;
      }),
    );
  }

  function finish() {
    button.disabled = false;
    progressBox.hidden = true;
  }

  function fileName(disposition) {
    const match = /filename="([^"]+)"/.exec(disposition || '');
    return match ? match[1] : 'predictions.csv';
  }

  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  function succeeded(xhr) {
    const rows = Number(xhr.getResponseHeader('X-CSV-Rows') || 0);
    const changed = Number(xhr.getResponseHeader('X-CSV-Cells-Neutralised') || 0);
    const join = xhr.getResponseHeader('X-CSV-Join-Column');
    const notice = xhr.getResponseHeader('X-CSV-Notice');
    const name = fileName(xhr.getResponseHeader('Content-Disposition'));
    download(xhr.response, name);
    const lines = [
      `Done: ${rows.toLocaleString('en-US')} row${rows === 1 ? '' : 's'} classified; ${name} is downloading.`,
    ];
    if (join) lines.push(`Join the download to your file on the column "${join}".`);
    if (changed > 0) {
      lines.push(
        `${changed.toLocaleString('en-US')} cell${changed === 1 ? '' : 's'} starting with = + - or @ got a leading ' so spreadsheets do not run them; tick "Return my cells exactly as uploaded" to keep them as they are.`,
      );
    }
    if (notice) lines.push(notice);
    show(notice ? 'warning' : 'info', lines);
  }

  function failed(xhr) {
    const fallback = `The upload failed (HTTP ${xhr.status}).`;
    const reader = new FileReader();
    reader.onload = () => {
      let message = fallback;
      try {
        const body = JSON.parse(String(reader.result));
        if (body && body.error && typeof body.error.message === 'string') message = body.error.message;
      } catch {
        // Not our JSON (a proxy's page): keep the status line.
      }
      show('error', [message]);
    };
    reader.onerror = () => show('error', [fallback]);
    reader.readAsText(xhr.response);
  }

  form.addEventListener('submit', (event) => {
    const file = input.files && input.files[0];
    if (!file) return;
    event.preventDefault();
    if (maxBytes > 0 && file.size > maxBytes) {
      show('error', [
        `${file.name} is ${megabytes(file.size)}; the server takes at most ${megabytes(maxBytes)}.`,
        limitsText,
      ]);
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.responseType = 'blob';
    xhr.setRequestHeader('Accept', 'text/csv');
    xhr.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return;
      progress.max = e.total;
      progress.value = e.loaded;
      show('info', [`Uploading ${file.name}: ${megabytes(e.loaded)} of ${megabytes(e.total)}`]);
    });
    xhr.upload.addEventListener('load', () => {
      // The server reads and scores the whole file before it answers: no measurable progress.
      progress.removeAttribute('value');
      show('info', [`Uploaded ${file.name}; classifying…`]);
    });
    xhr.addEventListener('load', () => {
      finish();
      if (xhr.status === 200) succeeded(xhr);
      else failed(xhr);
    });
    xhr.addEventListener('error', () => {
      finish();
      show('error', ['The upload did not reach the server; check the connection and try again.']);
    });
    button.disabled = true;
    progress.value = 0;
    progressBox.hidden = false;
    show('info', [`Uploading ${file.name}…`]);
    xhr.send(new FormData(form));
  });
})();
