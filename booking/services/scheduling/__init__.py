"""The forum's afternoons: sessions materialised from their Tuesday series, pauses and extras."""
