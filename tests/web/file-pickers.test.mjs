// lib/file-pickers.js, the intake's and the calibration page's pickers, on
// stand-in elements (no browser needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wireFilePickers } from '../../web/app/js/lib/file-pickers.js';

function fakeInput() {
  const input = new EventTarget();
  input.opened = 0;
  input.click = () => input.opened++;
  input.files = [];
  input.value = '';
  return input;
}

test('each picker button opens its own input, and what is picked there is taken once, then cleared', () => {
  const files = { button: new EventTarget(), input: fakeInput() };
  const folder = { button: new EventTarget(), input: fakeInput() };
  const taken = [];
  wireFilePickers([files, folder], (list) => taken.push(list.map((f) => f.path)));
  folder.button.dispatchEvent(new Event('click'));
  assert.deepEqual([files.input.opened, folder.input.opened], [0, 1]);
  folder.input.files = [{ name: 'a.png', webkitRelativePath: 'films/a.png' }, { name: '.DS_Store', webkitRelativePath: 'films/.DS_Store' }];
  folder.input.value = 'C:\\fakepath\\a.png';
  folder.input.dispatchEvent(new Event('change'));
  assert.deepEqual(taken, [['films/a.png']]);
  assert.equal(folder.input.value, '', 'the same films can be picked again');
  files.input.files = [{ name: 'b.dcm', webkitRelativePath: '' }];
  files.input.dispatchEvent(new Event('change'));
  assert.deepEqual(taken, [['films/a.png'], ['b.dcm']]);
});
