"""Flask-WTF forms by area: fields, account, admin, cases."""
