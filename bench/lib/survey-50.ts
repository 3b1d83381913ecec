/**
 * A 50-question survey (5 pages × 10) mixing the common question types and some logic, and one
 * valid answer set for it: the workload of the completion bench.
 */
export function survey50(): { source: string; data: Record<string, unknown> } {
  const pages: { name: string; elements: Record<string, unknown>[] }[] = [];
  const data: Record<string, unknown> = {};
  const scale = [1, 2, 3, 4, 5].map((v) => ({ value: v, text: `Level ${v}` }));
  for (let p = 0; p < 5; p++) {
    const elements: Record<string, unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      const name = `q${p}_${i}`;
      switch (i % 6) {
        case 0:
          elements.push({
            type: 'radiogroup',
            name,
            title: `Question ${name}`,
            choices: scale,
            isRequired: true,
          });
          data[name] = (i % 5) + 1;
          break;
        case 1:
          elements.push({ type: 'rating', name, title: `Rate ${name}`, rateMin: 1, rateMax: 10 });
          data[name] = 7;
          break;
        case 2:
          elements.push({
            type: 'checkbox',
            name,
            title: `Pick ${name}`,
            choices: ['a', 'b', 'c', 'd', 'e'],
            visibleIf: `{q${p}_0} >= 1`,
          });
          data[name] = ['a', 'c'];
          break;
        case 3:
          elements.push({
            type: 'text',
            inputType: 'number',
            name,
            title: `How many ${name}`,
            min: 0,
            max: 120,
          });
          data[name] = 42;
          break;
        case 4:
          elements.push({ type: 'dropdown', name, title: `Choose ${name}`, choices: scale });
          data[name] = 3;
          break;
        default:
          elements.push({ type: 'comment', name, title: `Tell us ${name}`, maxLength: 2000 });
          data[name] = `Free text for ${name}, with a comma and "quotes".`;
      }
    }
    pages.push({ name: `page${p + 1}`, elements });
  }
  return { source: JSON.stringify({ title: 'Bench survey (50 questions)', pages }), data };
}
