// The "choose files" and "choose a folder" buttons of a page that takes
// films (the app's intake, the site calibration page): each button opens its
// hidden <input type="file">, and what is picked there reaches `take` as
// filesFromInput's list. The input is emptied after each pick, so that
// picking the same files again still counts.
import { filesFromInput } from './files.js';

export function wireFilePickers(pickers, take) {
  for (const { button, input } of pickers) {
    button.addEventListener('click', () => input.click());
    input.addEventListener('change', () => {
      const list = filesFromInput(input.files);
      input.value = '';
      take(list);
    });
  }
}
