export default { nav: { welcome: 'Home' } };
