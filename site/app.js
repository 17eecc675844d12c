// Placeholder: lists the room types from the API. The full guest site replaces this.
const list = document.getElementById('rooms');
try {
  const response = await fetch('/api/rooms');
  const { rooms } = await response.json();
  list.replaceChildren(...rooms.map((room) => {
    const li = document.createElement('li');
    const price = (room.from_nightly.minor / 100).toFixed(2);
    li.textContent = `${room.name} – up to ${room.max_occupancy} guests – from ${price} ${room.from_nightly.currency} a night`;
    return li;
  }));
} catch {
  list.replaceChildren(Object.assign(document.createElement('li'), { textContent: 'Rooms could not be loaded.' }));
}
